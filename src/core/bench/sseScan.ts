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

const CHOICES_B = Buffer.from('"choices":');
const STR_VALUE = Buffer.from('":"');

/** Native search (memmem) bounded to [from, to); the few bytes it may read past `to` are not a cost. */
function indexIn(buf: Buffer, pat: Buffer, from: number, to: number): number {
  const i = buf.indexOf(pat, from);
  return i >= 0 && i + pat.length <= to ? i : -1;
}

/** First index of `pat` in buf[from, to), or -1. */
export function find(buf: Uint8Array, pat: Uint8Array, from: number, to: number): number {
  const first = pat[0];
  const last = to - pat.length;
  outer: for (let i = from; i <= last; i++) {
    if (buf[i] !== first) continue;
    for (let j = 1; j < pat.length; j++) if (buf[i + j] !== pat[j]) continue outer;
    return i;
  }
  return -1;
}

export const enum Kind { Other = 0, Done = 1, Choices = 2, ChoicesWithText = 3, Json = 4 }

/**
 * One SSE message in buf[s, e): a comment or non-data line (Other), `[DONE]`, a message with a non-empty `choices`
 * array (a token chunk; with or without non-empty text), or anything else that needs a real JSON parse (usage, errors,
 * pretty-printed JSON). `payloadStart` of the JSON is returned through `out[0]`.
 */
export function scanMessage(buf: Buffer, s: number, e: number, out: Int32Array): Kind {
  if (e - s < 5 || buf[s] !== 0x64 /* d */ || buf[s + 4] !== 0x3a /* : */) return Kind.Other;
  let p = s + 5;
  if (buf[p] === 0x20) p++;
  out[0] = p;
  if (e - p === 6 && find(buf, DONE, p, e) === p) return Kind.Done;
  const c = indexIn(buf, CHOICES_B, p, e);
  if (c < 0) return Kind.Json;
  let q = c + CHOICES.length;
  while (buf[q] === 0x20) q++;
  if (buf[q] !== 0x5b /* [ */) return Kind.Json;
  q++;
  while (buf[q] === 0x20) q++;
  if (buf[q] === 0x5d /* ] */) return Kind.Json; // empty choices: the usage chunk, or an error
  // Each `":"` (a string value) after choices: is its key content, reasoning, reasoning_content or text, non-empty?
  for (let i = indexIn(buf, STR_VALUE, q, e); i >= 0; i = indexIn(buf, STR_VALUE, i + 3, e)) {
    if (buf[i + 3] !== 0x22 && endsWithKey(buf, i)) return Kind.ChoicesWithText;
  }
  // Compact JSON with empty or null texts is a token chunk without text; spaced JSON needs a real parse.
  for (let i = q; i < e - 2; i++) if (buf[i] === 0x22 && buf[i + 1] === 0x3a && buf[i + 2] === 0x20) return Kind.Json;
  return Kind.Choices;
}

interface JsonChunk { choices?: { delta?: Record<string, unknown>; text?: unknown }[]; usage?: { completion_tokens?: number; prompt_tokens?: number; completion_tokens_details?: { reasoning_tokens?: number } | null } | null; error?: { message?: string } | string }

/**
 * Records one SSE message of a response into its trace (both HTTP clients use this). Token chunks are classified in
 * place; the rare JSON messages (usage, errors, spaced JSON) are parsed. Returns true for a token chunk.
 */
export function recordMessage(t: RequestTrace, buf: Buffer, s: number, e: number, now: number, out: Int32Array): boolean {
  t.lastLineMs = now;
  const k = scanMessage(buf, s, e, out);
  if (t.text === undefined && (k === Kind.Choices || k === Kind.ChoicesWithText)) {
    pushChunk(t, now, k === Kind.ChoicesWithText);
    return true;
  }
  // A trace that keeps its text (trace.ts keepText) parses every token chunk too.
  if (k !== Kind.Json && !(t.text !== undefined && (k === Kind.Choices || k === Kind.ChoicesWithText))) return false;
  let c: JsonChunk;
  try {
    c = JSON.parse(buf.toString('utf8', out[0], e)) as JsonChunk;
  } catch {
    t.error ??= `malformed SSE message: ${buf.toString('utf8', s, Math.min(e, s + 120))}`;
    return false;
  }
  let token = false;
  if (c.choices && c.choices.length) {
    const ch = c.choices[0];
    const d = ch.delta ?? {};
    if (t.text) {
      const str = (x: unknown): string => (typeof x === 'string' ? x : '');
      pushChunk(t, now, addDeltaText(t.text, str(d.reasoning) || str(d.reasoning_content), str(d.content) || str(ch.text)));
    } else pushChunk(t, now, [d.content, d.reasoning, d.reasoning_content, ch.text].some((x) => typeof x === 'string' && x.length > 0));
    token = true;
  }
  if (c.usage) {
    if (typeof c.usage.completion_tokens === 'number') t.usageCompletionTokens = c.usage.completion_tokens;
    if (typeof c.usage.prompt_tokens === 'number') t.usagePromptTokens = c.usage.prompt_tokens;
    const rt = c.usage.completion_tokens_details?.reasoning_tokens;
    if (t.text && typeof rt === 'number') t.text.usageReasoningTokens = rt;
  }
  // A mid-stream error event (engine failure after the 200): vLLM's own client ignores it; we fail the request.
  if (c.error) t.error = t.streamError = `mid-stream error: ${typeof c.error === 'string' ? c.error : (c.error.message ?? 'unknown')}`;
  return token;
}

/** Splits buf[s, e) at blank lines; calls `each` per complete message; returns where the unfinished tail starts. */
export function splitEvents(buf: Uint8Array, s: number, e: number, each: (ms: number, me: number) => void): number {
  let start = s;
  for (let i = s; i < e - 1; i++) {
    if (buf[i] !== 10 || buf[i + 1] !== 10) continue;
    if (i > start) each(start, i);
    start = i + 2;
    i++;
  }
  return start;
}

/** "HTTP 404: The model `x` does not exist." from a flat or nested OpenAI/vLLM/SGLang error body. */
export function httpErrorMessage(status: number, body: string): string {
  let msg = body.trim();
  try {
    const j = JSON.parse(msg) as { error?: { message?: string } | string; message?: string };
    msg = (typeof j.error === 'object' ? j.error.message : j.error) ?? j.message ?? msg;
  } catch {
    /* not JSON: keep the text */
  }
  return `HTTP ${status}: ${msg.slice(0, 300)}`;
}
