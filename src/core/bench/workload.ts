import { mulberry32 } from '../util/seededRandom';
import { Pcg64Generator } from './numpyRandom';
import { mapLimit } from '../util/mapLimit';

export interface BenchRequest {
  /** Token ids (completions) or text (chat). */
  readonly prompt: number[] | string;
  readonly promptLen: number;
  readonly outputLen: number;
}

export interface RandomWorkload {
  readonly numPrompts: number;
  readonly inputLen: number;
  readonly outputLen: number;
  /** vLLM: lengths uniform in [floor(L(1−r)), ceil(L(1+r))]; must be in [0, 1). */
  readonly rangeRatio: number;
  /** Random token ids shared by every prompt, in front of it (counted in its length). */
  readonly prefixLen: number;
  readonly seed: number;
  /** The model's tokenizer as vLLM's random dataset sees it (default: DeepSeek-V3/R1's, DEEPSEEK_TOKENIZER). */
  readonly tokenizer?: TokenizerProfile;
  /** llmperf's lengths instead (seed 004): normal around the lengths with these standard deviations, at least 1. */
  readonly normalStddev?: { readonly input: number; readonly output: number };
}

/**
 * What vLLM's random dataset reads from the HF tokenizer: `vocab_size` (without added tokens), `all_special_ids`
 * (excluded from the ids), `num_special_tokens_to_add()` (subtracted from --random-input-len; the server adds them back,
 * so we send them as ids: `bosId` first).
 */
export interface TokenizerProfile {
  readonly vocabSize: number;
  readonly specialIds: readonly number[];
  readonly bosId?: number;
}

/**
 * DeepSeek-V3/R1 (and V3.1/V3.2, same tokenizer.json): 128,000 BPE tokens, `<｜begin▁of▁sentence｜>` = 0 and
 * `<｜end▁of▁sentence｜>` = 1 as the special ids, one BOS added per encode (tokenizer_config.json add_bos_token: true).
 */
export const DEEPSEEK_TOKENIZER: TokenizerProfile = { vocabSize: 128_000, specialIds: [0, 1], bosId: 0 };

export function validateRandom(w: RandomWorkload): void {
  if (!(w.rangeRatio >= 0 && w.rangeRatio < 1)) throw new Error(`--random-range-ratio must be in [0, 1) (got ${w.rangeRatio})`);
  if (!(w.inputLen >= 1) || !(w.outputLen >= 1)) throw new Error('--random-input-len and --random-output-len must be ≥ 1');
  if (!(w.numPrompts >= 1)) throw new Error('--num-prompts must be ≥ 1');
}

/** The token ids vLLM's random dataset draws for one request, before its decode/re-encode step. */
export interface RandomDraw {
  readonly inputLen: number;
  readonly outputLen: number;
  readonly offset: number;
  /** prefix + allowed[(offset + index + j) mod |allowed|] for j < inputLen. */
  readonly ids: number[];
}

/**
 * vLLM's random dataset (vllm/benchmarks/datasets/random.py, RandomDataset.sample) up to its decode step, with the
 * same numpy draws: `default_rng(seed)`; input lengths, output lengths and offsets by `integers(...)` in that order,
 * then the shared prefix (`prefix_len` ids of the allowed vocabulary). Input lengths exclude the tokenizer's special
 * tokens (`num_special_tokens_to_add`). Errors: vLLM's messages for a range ratio outside [0, 1) or a too-short input.
 * Only the draws are computed here (three numbers per request); each request's ids come from `idsOf` when needed, so
 * 100,000 prompts cost a few MB until they are sent.
 */
interface DrawPlan {
  readonly inputLens: readonly number[];
  readonly outputLens: readonly number[];
  readonly offsets: readonly number[];
  readonly prefix: readonly number[];
  readonly allowed: readonly number[];
}

function drawPlan(w: RandomWorkload): DrawPlan {
  if (!(w.rangeRatio >= 0 && w.rangeRatio < 1)) throw new Error('range_ratio must be in [0, 1).');
  const tok = w.tokenizer ?? DEEPSEEK_TOKENIZER;
  const numSpecial = tok.bosId === undefined ? 0 : 1;
  const realInput = Math.max(0, w.inputLen - numSpecial);
  if (w.prefixLen + Math.floor(realInput * (1 - w.rangeRatio)) < 1) throw new Error(`--random-input-len is too small: with tokenizer special tokens ${numSpecial} and --random-range-ratio ${w.rangeRatio}, the minimum possible total input tokens (prefix + sampled) is ${w.prefixLen + Math.floor(realInput * (1 - w.rangeRatio))}. Increase --random-input-len and/or --random-prefix-len, or decrease --random-range-ratio.`);
  const rng = new Pcg64Generator(w.seed);
  const inLo = Math.floor(realInput * (1 - w.rangeRatio));
  const inHi = Math.ceil(realInput * (1 + w.rangeRatio));
  const outLo = Math.max(1, Math.floor(w.outputLen * (1 - w.rangeRatio)));
  const outHi = Math.max(1, Math.ceil(w.outputLen * (1 + w.rangeRatio)));
  const inputLens = rng.integers(inLo, inHi + 1, w.numPrompts);
  const outputLens = rng.integers(outLo, outHi + 1, w.numPrompts);
  const offsets = rng.integers(0, tok.vocabSize, w.numPrompts);
  const special = new Set(tok.specialIds);
  const allowed: number[] = [];
  for (let id = 0; id < tok.vocabSize; id++) if (!special.has(id)) allowed.push(id);
  const prefix = w.prefixLen > 0 ? rng.integers(0, allowed.length, w.prefixLen).map((k) => allowed[k]) : [];
  return { inputLens, outputLens, offsets, prefix, allowed };
}

/** Request i's ids: the shared prefix, then allowed[(offset + i + j) mod |allowed|] for j < its input length. */
function idsOf(plan: DrawPlan, i: number, lead: readonly number[] = []): number[] {
  const ids = [...lead, ...plan.prefix];
  const { allowed } = plan;
  for (let j = 0; j < plan.inputLens[i]; j++) ids.push(allowed[(plan.offsets[i] + i + j) % allowed.length]);
  return ids;
}

/** vLLM's random dataset draws with each request's ids (tests compare them with numpy's); see drawPlan. */
export function randomDraws(w: RandomWorkload): RandomDraw[] {
  const plan = drawPlan(w);
  return plan.inputLens.map((len, i) => ({ inputLen: len, outputLen: plan.outputLens[i], offset: plan.offsets[i], ids: idsOf(plan, i) }));
}

/** A random-dataset request whose ids are built when read (the body is built once, when the request is sent). */
class LazyTokenRequest implements BenchRequest {
  constructor(private readonly plan: DrawPlan, private readonly i: number, private readonly lead: readonly number[]) {}
  get prompt(): number[] {
    return idsOf(this.plan, this.i, this.lead);
  }
  get promptLen(): number {
    return this.lead.length + this.plan.prefix.length + this.plan.inputLens[this.i];
  }
  get outputLen(): number {
    return this.plan.outputLens[this.i];
  }
}

/**
 * Requests of vLLM's random dataset, sent as token ids to /v1/completions so the server sees exactly these lengths
 * (vLLM sends the decoded text, which the server re-encodes with its BOS: we send the BOS id in front instead).
 * promptLen counts what the server will count (BOS included); usage.prompt_tokens replaces it when reported.
 * Lazy: the ids of a request exist only while its body is built (100k prompts start in well under a second).
 */
export function randomTokenRequests(w: RandomWorkload): BenchRequest[] {
  validateRandom(w);
  if (w.normalStddev) return normalLengthRequests(w, w.normalStddev);
  const bos = (w.tokenizer ?? DEEPSEEK_TOKENIZER).bosId;
  const plan = drawPlan(w);
  const lead = bos === undefined ? [] : [bos];
  return plan.inputLens.map((_, i) => new LazyTokenRequest(plan, i, lead));
}

/** llmperf-style lengths (normal, at least 1) with vLLM-style id sequences; not a vLLM dataset, so our own RNG. */
function normalLengthRequests(w: RandomWorkload, sd: { readonly input: number; readonly output: number }): BenchRequest[] {
  const u = mulberry32(w.seed);
  const tok = w.tokenizer ?? DEEPSEEK_TOKENIZER;
  const first = Math.max(...tok.specialIds) + 1;
  const n = tok.vocabSize - first;
  const normal = (m: number, s: number): number => Math.max(1, Math.round(m + s * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())));
  // The draws in their order (input length, output length, offset per request); the ids are built when read.
  const out: BenchRequest[] = [];
  for (let i = 0; i < w.numPrompts; i++) {
    const len = normal(w.inputLen, sd.input);
    const outLen = normal(w.outputLen, sd.output);
    const offset = Math.floor(u() * n);
    out.push({
      get prompt(): number[] {
        const ids: number[] = [];
        for (let j = 0; j < len; j++) ids.push(first + ((offset + i + j) % n));
        return ids;
      },
      promptLen: len,
      outputLen: outLen,
    });
  }
  return out;
}

export interface TokenizerApi {
  detokenize(ids: number[]): Promise<string>;
  tokenize(text: string): Promise<number>;
}

/**
 * Chat prompts of an exact token length (vLLM's gen_prompt_decode_to_target_len + server alignment): the ids are
 * decoded to text by the server, re-encoded, and trimmed or extended until the server counts the target length.
 * The chat template's own tokens come on top; usage.prompt_tokens reports the total.
 */
export async function calibrateChatRequests(reqs: readonly BenchRequest[], tok: TokenizerApi, parallel = 16): Promise<BenchRequest[]> {
  return mapLimit(reqs, parallel, async (r) => {
    let ids = Array.isArray(r.prompt) ? r.prompt.slice() : [];
    let text = await tok.detokenize(ids);
    let len = await tok.tokenize(text);
    for (let tries = 0; tries < 10 && len !== r.promptLen; tries++) {
      if (len > r.promptLen) ids = ids.slice(0, Math.max(1, ids.length - (len - r.promptLen)));
      else ids = ids.concat(ids.slice(0, r.promptLen - len));
      text = await tok.detokenize(ids);
      len = await tok.tokenize(text);
    }
    return { prompt: text, promptLen: len, outputLen: r.outputLen };
  });
}
