/**
 * Batch prompts (seed 002's input_prompts.json / output_responses.json): a file of tagged prompts sent with a
 * concurrency limit, answers written next to it matched by tag.
 */
export interface TaggedPrompt {
  readonly tag: string;
  readonly prompt: string;
  readonly system?: string;
}

export class PromptsFileError extends Error {
  constructor(readonly file: string, readonly where: string, message: string) {
    super(`${file}${where ? `:${where}` : ''}: ${message}`);
    this.name = 'PromptsFileError';
  }
}

function toPrompt(v: unknown, index: number, file: string, where: string): TaggedPrompt {
  if (typeof v === 'string') return { tag: String(index + 1), prompt: v };
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PromptsFileError(file, where, 'each item must be a string or an object with "prompt"');
  const o = v as Record<string, unknown>;
  const prompt = o.prompt ?? o.content ?? o.text;
  if (typeof prompt !== 'string' || prompt === '') throw new PromptsFileError(file, where, 'missing "prompt" (a non-empty string)');
  const tag = o.tag ?? o.id ?? o.name ?? index + 1;
  if (typeof tag !== 'string' && typeof tag !== 'number') throw new PromptsFileError(file, where, '"tag" must be a string or a number');
  const system = o.system ?? o.system_prompt;
  if (system !== undefined && typeof system !== 'string') throw new PromptsFileError(file, where, '"system" must be a string');
  return { tag: String(tag), prompt, system };
}

/** JSON (an array, or {"prompts": [...]}) or JSONL; strings or {tag|id, prompt|content|text, system?}. Tags must be unique. */
export function parsePromptsFile(text: string, file: string): TaggedPrompt[] {
  const trimmed = text.trim();
  if (!trimmed) throw new PromptsFileError(file, '', 'the file is empty');
  let items: TaggedPrompt[];
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !/\}\s*\n\s*\{/.test(trimmed))) {
    let v: unknown;
    try {
      v = JSON.parse(trimmed);
    } catch (e) {
      throw new PromptsFileError(file, '', `not valid JSON: ${(e as Error).message}`);
    }
    const arr = Array.isArray(v) ? v : (v as { prompts?: unknown }).prompts;
    if (!Array.isArray(arr)) throw new PromptsFileError(file, '', 'expected a JSON array of prompts (or {"prompts": [...]})');
    items = arr.map((x, i) => toPrompt(x, i, file, `item ${i}`));
  } else {
    items = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new PromptsFileError(file, String(i + 1), `not valid JSON: ${(e as Error).message}`);
      }
      items.push(toPrompt(v, items.length, file, String(i + 1)));
    }
  }
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.tag)) throw new PromptsFileError(file, '', `tag "${it.tag}" appears twice; responses are matched by tag`);
    seen.add(it.tag);
  }
  if (items.length === 0) throw new PromptsFileError(file, '', 'no prompts in the file');
  return items;
}

export interface PromptResponse {
  tag: string;
  prompt: string;
  reasoning?: string;
  response?: string;
  error?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  ttft_ms?: number;
  latency_ms?: number;
  finish_reason?: string;
}

/** `prompts.json` → `prompts.responses.json` (same folder). */
export function responsesPathFor(file: string): string {
  return file.replace(/(\.jsonl?|\.json)?$/i, '.responses.json');
}

/**
 * Sends every prompt with at most `concurrency` in flight. A failed prompt is recorded with its error and the rest go
 * on; cancelling stops new sends, aborts those in flight (their partial text is kept) and still returns every result.
 */
export async function runPrompts(opts: {
  items: readonly TaggedPrompt[];
  concurrency: number;
  signal?: AbortSignal;
  send: (item: TaggedPrompt, signal: AbortSignal) => Promise<PromptResponse>;
  onProgress?: (done: number, total: number, last: PromptResponse) => void;
}): Promise<{ responses: PromptResponse[]; cancelled: boolean }> {
  const results = new Array<PromptResponse | undefined>(opts.items.length);
  const inner = new AbortController();
  const onAbort = (): void => inner.abort();
  opts.signal?.addEventListener('abort', onAbort);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.items.length && !inner.signal.aborted) {
      const i = next++;
      const item = opts.items[i];
      let r: PromptResponse;
      try {
        r = await opts.send(item, inner.signal);
      } catch (e) {
        r = { tag: item.tag, prompt: item.prompt, error: (e as Error).message };
      }
      results[i] = r;
      done++;
      opts.onProgress?.(done, opts.items.length, r);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, opts.items.length)) }, worker));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const cancelled = inner.signal.aborted;
  const responses = opts.items.map((it, i) => results[i] ?? { tag: it.tag, prompt: it.prompt, error: 'not sent (cancelled)' });
  return { responses, cancelled };
}
