import { mulberry32 } from '../util/seededRandom';

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
  /** Ids are drawn from [firstId, vocabSize): DeepSeek-V3/R1's vocabulary is 129,280 with specials at the ends. */
  readonly vocabSize?: number;
  /** llmperf's lengths instead (seed 004): normal around the lengths with these standard deviations, at least 1. */
  readonly normalStddev?: { readonly input: number; readonly output: number };
}

const DEEPSEEK_VOCAB = 128_000;
const FIRST_ID = 100;

export function validateRandom(w: RandomWorkload): void {
  if (!(w.rangeRatio >= 0 && w.rangeRatio < 1)) throw new Error(`--random-range-ratio must be in [0, 1) (got ${w.rangeRatio})`);
  if (!(w.inputLen >= 1) || !(w.outputLen >= 1)) throw new Error('--random-input-len and --random-output-len must be ≥ 1');
  if (!(w.numPrompts >= 1)) throw new Error('--num-prompts must be ≥ 1');
}

/**
 * vLLM's random dataset with exact lengths: per request an input length and an output length drawn uniformly (integers)
 * from the range, a shared random prefix, then ids (offset + index + j) mod the allowed vocabulary. Sent as token ids
 * to /v1/completions, so the server sees exactly these lengths (no re-tokenization drift).
 */
export function randomTokenRequests(w: RandomWorkload): BenchRequest[] {
  validateRandom(w);
  const u = mulberry32(w.seed);
  const n = (w.vocabSize ?? DEEPSEEK_VOCAB) - FIRST_ID;
  const int = (lo: number, hi: number): number => lo + Math.floor(u() * (hi - lo + 1));
  const inLo = Math.floor(w.inputLen * (1 - w.rangeRatio));
  const inHi = Math.ceil(w.inputLen * (1 + w.rangeRatio));
  const outLo = Math.max(1, Math.floor(w.outputLen * (1 - w.rangeRatio)));
  const outHi = Math.ceil(w.outputLen * (1 + w.rangeRatio));
  const prefix = Array.from({ length: w.prefixLen }, () => FIRST_ID + Math.floor(u() * n));
  const out: BenchRequest[] = [];
  const normal = (m: number, sd: number): number => Math.max(1, Math.round(m + sd * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())));
  for (let i = 0; i < w.numPrompts; i++) {
    const sd = w.normalStddev;
    const len = sd ? normal(w.inputLen, sd.input) : w.rangeRatio === 0 ? w.inputLen : int(inLo, inHi);
    const outLen = sd ? normal(w.outputLen, sd.output) : w.rangeRatio === 0 ? w.outputLen : int(outLo, outHi);
    const offset = Math.floor(u() * n);
    const ids = prefix.slice();
    for (let j = 0; j < len; j++) ids.push(FIRST_ID + ((offset + i + j) % n));
    out.push({ prompt: ids, promptLen: ids.length, outputLen: outLen });
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
  const out = new Array<BenchRequest>(reqs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < reqs.length) {
      const i = next++;
      const r = reqs[i];
      let ids = Array.isArray(r.prompt) ? r.prompt.slice() : [];
      let text = await tok.detokenize(ids);
      let len = await tok.tokenize(text);
      for (let tries = 0; tries < 10 && len !== r.promptLen; tries++) {
        if (len > r.promptLen) ids = ids.slice(0, Math.max(1, ids.length - (len - r.promptLen)));
        else ids = ids.concat(ids.slice(0, r.promptLen - len));
        text = await tok.detokenize(ids);
        len = await tok.tokenize(text);
      }
      out[i] = { prompt: text, promptLen: len, outputLen: r.outputLen };
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, reqs.length) }, worker));
  return out;
}

/** A JSON/JSONL prompt file: strings or {prompt, output_len?}; lengths are counted by the server's /tokenize. */
export function promptsFromFile(text: string, defaultOutputLen: number): { prompt: string; outputLen: number }[] {
  const t = text.trim();
  const items: unknown[] = t.startsWith('[') ? (JSON.parse(t) as unknown[]) : t.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  return items.map((x, i) => {
    if (typeof x === 'string') return { prompt: x, outputLen: defaultOutputLen };
    const o = x as { prompt?: unknown; output_len?: unknown };
    if (typeof o?.prompt !== 'string') throw new Error(`prompt file item ${i}: needs "prompt"`);
    return { prompt: o.prompt, outputLen: typeof o.output_len === 'number' ? o.output_len : defaultOutputLen };
  });
}
