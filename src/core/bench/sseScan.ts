import { addDeltaText, pushChunk, type RequestTrace } from './trace';

/**
 * Byte-level SSE classification over a region of a buffer, without allocating: the benchmark's hot path runs once per
 * streamed chunk, and JSON.parse or Buffer views per chunk would cost more than the rest of the client together.
 */
const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s));
const CHOICES = enc('"choices":');
const KEYS = ['"content', '"reasoning_content', '"reasoning', '"text'].map(enc);

/** Whether buf just before `at` (a closing quote) is one of the text-bearing keys, opening quote included. */
function endsWithKey(buf: Uint8Array, at: number): boolean {
  outer: for (const k of KEYS) {
    const s = at - k.length;
    if (s < 0) continue;
    for (let j = 0; j < k.length; j++) if (buf[s + j] !== k[j]) continue outer;
    return true;
  }
  return false;
}
const DONE = enc('[DONE]');
const STR_VALUE = enc('":"');

/**
 * A pattern compiled for Boyer-Moore-Horspool search: `shift[b]` is how far the window may move when its last byte is
 * b. Searching in JS: Buffer#indexOf with a Buffer needle costs a native call that builds a searcher each time (bench:
 * 60% of the per-message parse cost at ~300 ns/message), and has no end bound; this one is bounded and, for the
 * 10-byte `"choices":`, looks at about one byte in eight.
 */
export interface Pattern {
  readonly bytes: Uint8Array;
  readonly shift: Uint8Array;
}

/** Compiles `bytes` (1 to 255 bytes long) for `find`. */
export function compilePattern(bytes: Uint8Array): Pattern {
  const m = bytes.length;
  const shift = new Uint8Array(256).fill(Math.min(255, m));
  for (let j = 0; j < m - 1; j++) shift[bytes[j]] = Math.min(255, m - 1 - j);
  return { bytes, shift };
}

const CHOICES_P = compilePattern(CHOICES);
const STR_VALUE_P = compilePattern(STR_VALUE);
const DONE_P = compilePattern(DONE);

/**
 * First index of the pattern in buf[from, to), or -1. Linear in the region: at most `m` byte comparisons per window
 * position (m ≤ 10 here), usually about one per `m` bytes.
 */
export function find(buf: Uint8Array, pat: Pattern, from: number, to: number): number {
  const p = pat.bytes;
  const m = p.length;
  const lastByte = p[m - 1];
  for (let i = from + m - 1; i < to; ) {
    const c = buf[i];
    if (c === lastByte) {
      let j = m - 2;
      while (j >= 0 && buf[i - m + 1 + j] === p[j]) j--;
      if (j < 0) return i - m + 1;
    }
    i += pat.shift[c];
  }
  return -1;
}

export const enum Kind { Done = 1, Choices = 2, ChoicesWithText = 3, Json = 4 }

/**
 * One SSE event's data in buf[p, e) (the reader has already removed `data:` and joined lines): `[DONE]`, a message
 * with a non-empty `choices` array (a token chunk; with or without non-empty text), or anything else that needs a real
 * JSON parse (usage, errors, pretty-printed JSON).
 */
export function scanMessage(buf: Buffer, p: number, e: number): Kind {
  if (e - p === 6 && find(buf, DONE_P, p, e) === p) return Kind.Done;
  const c = find(buf, CHOICES_P, p, e);
  if (c < 0) return Kind.Json;
  let q = c + CHOICES.length;
  while (q < e && buf[q] === 0x20) q++;
  if (buf[q] !== 0x5b /* [ */) return Kind.Json;
  q++;
  while (q < e && buf[q] === 0x20) q++;
  if (buf[q] === 0x5d /* ] */) return Kind.Json; // empty choices: the usage chunk, or an error
  // Each `":"` (a string value) after choices: is its key content, reasoning, reasoning_content or text, non-empty?
  for (let i = find(buf, STR_VALUE_P, q, e); i >= 0; i = find(buf, STR_VALUE_P, i + 3, e)) {
    if (buf[i + 3] !== 0x22 && endsWithKey(buf, i)) return Kind.ChoicesWithText;
  }
  // Compact JSON with empty or null texts is a token chunk without text; spaced JSON needs a real parse.
  for (let i = q; i < e - 2; i++) if (buf[i] === 0x22 && buf[i + 1] === 0x3a && buf[i + 2] === 0x20) return Kind.Json;
  return Kind.Choices;
}

interface JsonChunk { choices?: { delta?: Record<string, unknown>; text?: unknown }[]; usage?: { completion_tokens?: number; prompt_tokens?: number; completion_tokens_details?: { reasoning_tokens?: number } | null } | null; error?: { message?: string } | string }

/**
 * Records one SSE event (its data in buf[s, e), its `event:` type, '' by default) into its trace; both HTTP clients
 * call this from the one SSE reader. Token chunks are classified in place; the rare JSON messages (usage, errors,
 * spaced JSON) are parsed. An `event: error` fails the request with its data. Returns true for a token chunk.
 */
export function recordMessage(t: RequestTrace, buf: Buffer, s: number, e: number, now: number, type = ''): boolean {
  t.lastLineMs = now;
  const k = type === '' || type === 'message' ? scanMessage(buf, s, e) : Kind.Json;
  if (t.text === undefined && (k === Kind.Choices || k === Kind.ChoicesWithText)) {
    pushChunk(t, now, k === Kind.ChoicesWithText);
    return true;
  }
  if (k === Kind.Done) return false;
  // A trace that keeps its text (trace.ts keepText) parses every token chunk too.
  if (k !== Kind.Json && !(t.text !== undefined && (k === Kind.Choices || k === Kind.ChoicesWithText))) return false;
  let c: JsonChunk;
  try {
    c = JSON.parse(buf.toString('utf8', s, e)) as JsonChunk;
  } catch {
    if (type === 'error') t.error = `mid-stream error: ${buf.toString('utf8', s, Math.min(e, s + 300))}`;
    else t.error ??= `malformed SSE message: ${buf.toString('utf8', s, Math.min(e, s + 120))}`;
    return false;
  }
  let token = false;
  if (c && c.choices && c.choices.length) {
    const ch = c.choices[0];
    const d = ch.delta ?? {};
    if (t.text) {
      const str = (x: unknown): string => (typeof x === 'string' ? x : '');
      pushChunk(t, now, addDeltaText(t.text, str(d.reasoning) || str(d.reasoning_content), str(d.content) || str(ch.text)));
      if (t.tools) {
        try {
          t.tools.push(d.tool_calls);
        } catch (err) {
          t.error = (err as Error).message;
        }
      }
    } else pushChunk(t, now, [d.content, d.reasoning, d.reasoning_content, ch.text].some((x) => typeof x === 'string' && x.length > 0));
    token = true;
  }
  if (c && c.usage) {
    if (typeof c.usage.completion_tokens === 'number') t.usageCompletionTokens = c.usage.completion_tokens;
    if (typeof c.usage.prompt_tokens === 'number') t.usagePromptTokens = c.usage.prompt_tokens;
    const rt = c.usage.completion_tokens_details?.reasoning_tokens;
    if (t.text && typeof rt === 'number') t.text.usageReasoningTokens = rt;
  }
  // A mid-stream error event (engine failure after the 200): vLLM's own client ignores it; we fail the request.
  if (c && c.error) t.error = t.streamError = `mid-stream error: ${typeof c.error === 'string' ? c.error : (c.error.message ?? 'unknown')}`;
  else if (type === 'error') t.error = t.streamError = `mid-stream error: ${buf.toString('utf8', s, Math.min(e, s + 300))}`;
  return token;
}
