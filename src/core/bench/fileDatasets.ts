import { LegacyRandomState, PythonRandom } from './numpyRandom';
import type { BenchRequest } from './workload';
import { mapLimit } from '../util/mapLimit';

/**
 * The server's tokenizer, reached over HTTP (vLLM and SGLang `POST /tokenize`): we load no tokenizer, so lengths and
 * chat templates are the server's own. `tokenize` adds special tokens (BOS) like HF `tokenizer(text)`.
 */
export interface ServerTokenizer {
  tokenize(text: string, addSpecialTokens: boolean): Promise<number[]>;
  /** The chat-template token ids of one user message with the generation prompt (apply_chat_template + encode). */
  tokenizeChat(content: string): Promise<number[]>;
}

/** What the file datasets need from the command line (vLLM's dataset options). */
export interface FileDatasetOptions {
  readonly numPrompts: number;
  readonly seed: number;
  readonly chat: boolean;
  readonly disableShuffle: boolean;
  readonly noOversample: boolean;
  readonly skipChatTemplate: boolean;
  readonly sharegptOutputLen?: number;
  readonly customOutputLen: number;
  readonly sonnet: { inputLen: number; outputLen: number; prefixLen: number };
}

/**
 * vLLM's BenchmarkDataset.maybe_oversample_requests: below num_prompts, `random.seed(seed)` then random.choice picks
 * the extra requests (unless --no-oversample).
 */
function oversample(reqs: BenchRequest[], o: FileDatasetOptions): BenchRequest[] {
  if (o.noOversample || reqs.length >= o.numPrompts || reqs.length === 0) return reqs;
  const r = new PythonRandom(o.seed);
  const extra = Array.from({ length: o.numPrompts - reqs.length }, () => r.choice(reqs));
  return reqs.concat(extra);
}

/**
 * ShareGPT JSON (vllm/benchmarks/datasets/sharegpt.py): entries with ≥ 2 conversation turns, `random.seed(seed)` +
 * shuffle (unless --disable-shuffle), first turn = prompt, second = the reference answer whose token count is the
 * output length (or --sharegpt-output-len); vLLM's is_valid_sequence drops prompts < 4 or > 1024 tokens, outputs < 4
 * (unless the length is fixed) and pairs over 2048 tokens.
 */
export async function sharegptRequests(json: string, o: FileDatasetOptions, tok: ServerTokenizer): Promise<BenchRequest[]> {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new Error(`--dataset-path: not a ShareGPT JSON file (${(e as Error).message})`, { cause: e });
  }
  if (!Array.isArray(data)) throw new Error('--dataset-path: a ShareGPT file is a JSON array of {"conversations": [...]}');
  const entries = data.filter((e): e is { conversations: { value: string }[] } => Array.isArray((e as { conversations?: unknown })?.conversations) && (e as { conversations: unknown[] }).conversations.length >= 2);
  if (!o.disableShuffle) new PythonRandom(o.seed).shuffle(entries);
  const out: BenchRequest[] = [];
  const fixed = o.sharegptOutputLen !== undefined;
  // Tokenized 64 entries at a time (the server answers them in parallel), then taken in order as vLLM does.
  for (let b = 0; b < entries.length && out.length < o.numPrompts; b += 64) {
    const batch = await mapLimit(entries.slice(b, b + 64), 16, async (e) => {
      const prompt = String(e.conversations[0].value ?? '');
      const ids = await tok.tokenize(prompt, true);
      const outLen = o.sharegptOutputLen ?? (await tok.tokenize(String(e.conversations[1].value ?? ''), true)).length;
      return { prompt, ids, outLen };
    });
    for (const { prompt, ids, outLen } of batch) {
      if (out.length >= o.numPrompts) break;
      if (ids.length < 4 || (!fixed && outLen < 4) || ids.length > 1024 || ids.length + outLen > 2048) continue;
      out.push(o.chat ? { prompt, promptLen: ids.length, outputLen: outLen } : { prompt: ids, promptLen: ids.length, outputLen: outLen });
    }
  }
  return oversample(out, o);
}

/**
 * `custom` JSONL (vllm/benchmarks/datasets/custom.py): one {"prompt": …} per line, shuffled with random.seed(seed)
 * unless --disable-shuffle, the chat template applied unless --skip-chat-template, --custom-output-len tokens out.
 * Also reads our prompt-file format (a JSON array, or JSONL, of strings or {prompt, output_len}); an item's output_len
 * wins over --custom-output-len.
 */
export async function customRequests(text: string, o: FileDatasetOptions, tok: ServerTokenizer): Promise<BenchRequest[]> {
  const t = text.trim();
  let items: unknown[];
  try {
    items = t.startsWith('[') ? (JSON.parse(t) as unknown[]) : t.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new Error(`--dataset-path: each line must be JSON like {"prompt": "…"} (${(e as Error).message})`, { cause: e });
  }
  const rows = items.map((x, i) => {
    if (typeof x === 'string') return { prompt: x, outputLen: o.customOutputLen };
    const r = x as { prompt?: unknown; output_len?: unknown };
    if (typeof r?.prompt !== 'string') throw new Error(`--dataset-path: item ${i + 1} has no "prompt" (JSONL file must contain a 'prompt' column)`);
    return { prompt: r.prompt, outputLen: typeof r.output_len === 'number' ? r.output_len : o.customOutputLen };
  });
  if (!o.disableShuffle) new PythonRandom(o.seed).shuffle(rows);
  // vLLM: --num-prompts ≤ 0 takes every row.
  const take = o.numPrompts > 0 ? rows.slice(0, o.numPrompts) : rows;
  const out = await mapLimit(take, 16, async (r): Promise<BenchRequest> => {
    if (o.chat) return { prompt: r.prompt, promptLen: (await tok.tokenize(r.prompt, true)).length, outputLen: r.outputLen };
    const ids = o.skipChatTemplate ? await tok.tokenize(r.prompt, true) : await tok.tokenizeChat(r.prompt);
    return { prompt: ids, promptLen: ids.length, outputLen: r.outputLen };
  });
  return oversample(out, o);
}

/**
 * Sonnet text (vllm/benchmarks/datasets/sonnet.py): "Pick as many lines as you can from these poem lines:\n" + the
 * first lines as a shared prefix + lines drawn by random.choices (Python `random` seeded with --seed), sized by the
 * average token count of a line; kept when its templated length ≤ --sonnet-input-len. /v1/completions gets the
 * templated prompt (as the server's ids), chat the plain text.
 */
export async function sonnetRequests(text: string, o: FileDatasetOptions, tok: ServerTokenizer): Promise<BenchRequest[]> {
  const lines = text.split(/(?<=\n)/).filter((l) => l.length > 0);
  if (!lines.length) throw new Error('--dataset-path: the sonnet file is empty');
  let total = 0;
  for (const l of lines) total += (await tok.tokenize(l, true)).length;
  const avg = total / lines.length;
  const base = 'Pick as many lines as you can from these poem lines:\n';
  const baseOffset = (await tok.tokenizeChat(base)).length;
  const { inputLen, outputLen, prefixLen } = o.sonnet;
  if (inputLen <= baseOffset) throw new Error(`'input_len' must be higher than the base prompt length (${baseOffset}).`);
  const numInput = pyRound((inputLen - baseOffset) / avg);
  const numPrefix = Math.max(pyRound((prefixLen - baseOffset) / avg), 0);
  const prefix = lines.slice(0, numPrefix);
  const rnd = new PythonRandom(o.seed);
  const out: BenchRequest[] = [];
  for (let tries = 0; out.length < o.numPrompts; tries++) {
    if (tries > o.numPrompts * 20 + 100) throw new Error(`--sonnet-input-len ${inputLen}: no prompt of the sonnet lines fits; raise it`);
    const extra = Array.from({ length: Math.max(0, numInput - numPrefix) }, () => lines[Math.floor(rnd.randomSample() * lines.length)]);
    const prompt = `${base}${prefix.join('')}${extra.join('')}`;
    const ids = await tok.tokenizeChat(prompt);
    if (ids.length > inputLen) continue;
    out.push(o.chat ? { prompt, promptLen: ids.length, outputLen } : { prompt: ids, promptLen: ids.length, outputLen });
  }
  return out;
}

/** Python round(): halves to even. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/**
 * `prefix_repetition` (vllm/benchmarks/datasets/prefix_repetition.py): `np.random.seed(seed)`, per prefix
 * `randint(0, vocab, prefix_len)`, per prompt a `randint(0, vocab, suffix_len)` suffix; num_prompts // num_prefixes
 * prompts per prefix, then `random.shuffle` (Python, seeded) unless --disable-shuffle. Returns the RandomState too:
 * vLLM's arrival gaps continue from it.
 */
export function prefixRepetitionRequests(o: { numPrompts: number; seed: number; prefixLen: number; suffixLen: number; numPrefixes: number; outputLen: number; vocabSize: number; bosId?: number; disableShuffle: boolean }): { requests: BenchRequest[]; legacy: LegacyRandomState } {
  const perPrefix = Math.floor(o.numPrompts / o.numPrefixes);
  if (perPrefix === 0) throw new Error(`num_requests (${o.numPrompts}) must be greater than or equal to num_prefixes (${o.numPrefixes})`);
  const np = new LegacyRandomState(o.seed);
  const out: BenchRequest[] = [];
  for (let p = 0; p < o.numPrefixes; p++) {
    const prefix = np.randint(0, o.vocabSize, o.prefixLen);
    for (let k = 0; k < perPrefix; k++) {
      const ids = [...prefix, ...np.randint(0, o.vocabSize, o.suffixLen)];
      const sent = o.bosId === undefined ? ids : [o.bosId, ...ids];
      out.push({ prompt: sent, promptLen: sent.length, outputLen: o.outputLen });
    }
  }
  if (!o.disableShuffle) new PythonRandom(o.seed).shuffle(out);
  return { requests: out, legacy: np };
}

/**
 * BurstGPT CSV (vllm/benchmarks/datasets/burstgpt.py): rows with Model "GPT-4" and Response tokens > 0, sampled like
 * pandas `DataFrame.sample(n, random_state=seed)` (RandomState(seed).permutation, or randint with replacement when
 * n exceeds the rows); request i sends ids (i + j) mod vocab for its Request tokens and asks for its Response tokens.
 */
export function burstgptRequests(csv: string, o: { numPrompts: number; seed: number; vocabSize: number }): BenchRequest[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim());
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`--dataset-path: a BurstGPT CSV needs a "${name}" column (found: ${header.join(', ')})`);
    return i;
  };
  const [cm, ci, co] = [col('Model'), col('Request tokens'), col('Response tokens')];
  const rows = lines.map((l) => l.split(',')).filter((c) => c[cm]?.trim() === 'GPT-4' && Number(c[co]) > 0);
  if (!rows.length) throw new Error('--dataset-path: no GPT-4 row with Response tokens > 0 in the BurstGPT CSV');
  const rs = new LegacyRandomState(o.seed);
  const idx = o.numPrompts <= rows.length ? rs.permutation(rows.length).slice(0, o.numPrompts) : rs.randint(0, rows.length, o.numPrompts);
  return idx.map((r, i) => {
    const inLen = Math.trunc(Number(rows[r][ci]));
    const ids = Array.from({ length: inLen }, (_, j) => (i + j) % o.vocabSize);
    return { prompt: ids, promptLen: inLen, outputLen: Math.trunc(Number(rows[r][co])) };
  });
}
