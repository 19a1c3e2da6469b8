import type { ToolCallAssembler } from '../openai/toolCallAssembly';
import { MAX_ANSWER_CHARS, answerTooLongMessage } from '../openai/streamLimits';

/**
 * What one benchmark request recorded. Chunk receive times live in typed arrays (no per-chunk objects, no text), so
 * a long run's memory is a few bytes per chunk. Times are milliseconds on performance.now()'s clock.
 */
export interface RequestTrace {
  readonly index: number;
  /** Prompt tokens we sent (dataset length); usage.prompt_tokens replaces it when the server reports it. */
  promptLen: number;
  readonly requestedOutputLen: number;
  /** Before the HTTP request is sent, after the concurrency slot was taken (vLLM's `st`). */
  startMs: number;
  /** Receive time of each SSE message that had a non-empty `choices` array. */
  chunkTimes: Float64Array;
  /** 1 where that message carried non-empty text (content, reasoning, reasoning_content or text): SGLang's trigger. */
  textFlags: Uint8Array;
  chunks: number;
  /** The last SSE line received, `[DONE]` included (SGLang's end of request). */
  lastLineMs: number;
  usageCompletionTokens?: number;
  usagePromptTokens?: number;
  success: boolean;
  error?: string;
  /** Cancelled by the user (in flight or never sent): counted apart, never as a failure. */
  cancelled?: boolean;
  /** Time spent waiting for a concurrency slot (vLLM's client_queue_time). */
  queueMs: number;
  /**
   * Kept only when a run needs the text (chat runs for reasoning metrics, --save-detailed, --compat vllm's re-count):
   * every message is then parsed, and each chunk's flag says what it carried (1 answer text, 2 reasoning text).
   */
  text?: TraceText;
  /** A mid-stream `{"error": …}` event (kept apart so `--compat vllm` can ignore it, as vLLM's client does). */
  streamError?: string;
  /** Agentic runs: the answer's streamed tool calls, assembled (needs `text`: only parsed chunks are read). */
  tools?: ToolCallAssembler;
}

/** Generated text of one request, split into reasoning and answer (vLLM's generated_text is the answer part). */
export interface TraceText {
  answer: string;
  reasoning: string;
  /** Treat answer text before `</think>` as reasoning (an R1 served without a reasoning parser). */
  readonly splitThink: boolean;
  thinkClosed: boolean;
  /** usage.completion_tokens_details.reasoning_tokens, when the server reports it. */
  usageReasoningTokens?: number;
}

/** Turns on text keeping for a trace (before it is sent). */
export function keepText(t: RequestTrace, splitThink: boolean): void {
  t.text = { answer: '', reasoning: '', splitThink, thinkClosed: false };
}

/**
 * Adds one parsed delta to the trace's text and says what the chunk carried: 0 nothing, 1 answer text, 2 reasoning.
 * Reasoning comes from `delta.reasoning` / `delta.reasoning_content` (vLLM ≥ 0.11 / SGLang with a parser); without a
 * parser an R1 streams its thinking as content up to `</think>` (a leading `<think>` is dropped).
 */
export function addDeltaText(x: TraceText, reasoning: string, answer: string): 0 | 1 | 2 {
  let flag: 0 | 1 | 2 = 0;
  if (reasoning) {
    x.reasoning += reasoning;
    // A reasoning parser is on: answer text never carries </think>, so stop looking for it.
    x.thinkClosed = true;
    flag = 2;
  }
  if (!answer) return flag;
  if (x.splitThink && !x.thinkClosed) {
    const end = answer.indexOf('</think>');
    if (end < 0) {
      x.reasoning += x.reasoning === '' ? answer.replace(/^<think>\n?/, '') : answer;
      return 2;
    }
    x.thinkClosed = true;
    x.reasoning += answer.slice(0, end).replace(/^<think>\n?/, '');
    const rest = answer.slice(end + 8);
    if (!rest) return 2;
    x.answer += rest;
    return 1;
  }
  x.answer += answer;
  return 1;
}

/**
 * Why a request must stop reading, or undefined: more token chunks than max(4 × the requested output length, 2^20) +
 * 4,096, or kept text past MAX_ANSWER_CHARS. Real servers send at most one chunk per token (fewer with speculative
 * decoding) plus role and finish chunks, and no DeepSeek answer is longer than its 1M-token context, so the floor of
 * 2^20 never cuts a real answer (`--extra-body` may raise max_tokens past the requested length). A server that ignores
 * max_tokens would otherwise grow the trace for as long as it sends (each chunk resets the idle deadline); this bounds
 * one trace at ~9.5 MB of timestamps. Both HTTP clients check it after each message.
 */
export function traceOverrun(t: RequestTrace): string | undefined {
  const limit = Math.max(4 * t.requestedOutputLen, 1 << 20) + 4096;
  if (t.chunks > limit) return `The server streamed more than ${limit} chunks for max_tokens ${t.requestedOutputLen}; stopped reading (is it ignoring max_tokens?).`;
  if (t.text && t.text.answer.length + t.text.reasoning.length > MAX_ANSWER_CHARS) return answerTooLongMessage();
  return undefined;
}

const EMPTY_TIMES = new Float64Array(0);
const EMPTY_FLAGS = new Uint8Array(0);

/** A fresh trace for request `index` (-1: ready check or warm-up, -2: probe); lengths in tokens. */
export function newTrace(index: number, promptLen: number, requestedOutputLen: number): RequestTrace {
  // Empty until the first chunk (a 100k-prompt run creates every trace up front), then sized for the requested length
  // (+ role, finish and slack chunks) at once: no reallocation, so no garbage, while streaming.
  return { index, promptLen, requestedOutputLen, startMs: 0, chunkTimes: EMPTY_TIMES, textFlags: EMPTY_FLAGS, chunks: 0, lastLineMs: 0, success: false, queueMs: 0 };
}

/** Records a token chunk's receive time; `flag` 0 = no text, 1 = text (answer), 2 = reasoning text. */
export function pushChunk(t: RequestTrace, ms: number, flag: boolean | 0 | 1 | 2): void {
  if (t.chunks === t.chunkTimes.length) {
    const size = t.chunks === 0 ? Math.min(16_384, Math.max(16, t.requestedOutputLen + 8)) : t.chunks * 2;
    const times = new Float64Array(size);
    times.set(t.chunkTimes);
    t.chunkTimes = times;
    const flags = new Uint8Array(size);
    flags.set(t.textFlags);
    t.textFlags = flags;
  }
  t.chunkTimes[t.chunks] = ms;
  t.textFlags[t.chunks] = flag === true ? 1 : flag === false ? 0 : flag;
  t.chunks++;
}

/** Per-request timings in one client's definitions (seconds, like the tools' JSON). */
export interface RequestTiming {
  ttft: number;
  latency: number;
  outputLen: number;
}

/** Whether chunk i counts as a token in this mode (vLLM: every choices chunk; SGLang: only those with text). */
export const counts = (t: RequestTrace, i: number, mode: 'vllm' | 'sglang'): boolean => mode === 'vllm' || t.textFlags[i] !== 0;

/**
 * vLLM: TTFT = first message with choices (role chunk included), ITL per such message, latency = last such message,
 * output = usage.completion_tokens. SGLang: only messages with non-empty text count, latency runs to the last line
 * ([DONE]), output = usage.completion_tokens or else the requested length. ITLs and token times are read from the
 * trace's arrays by the caller (no per-request arrays).
 */
export function timingOf(t: RequestTrace, mode: 'vllm' | 'sglang'): RequestTiming | undefined {
  let first = -1;
  let last = -1;
  let textChunks = 0;
  for (let i = 0; i < t.chunks; i++) {
    if (t.textFlags[i] !== 0) textChunks++;
    if (!counts(t, i, mode)) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) return undefined;
  const ttft = (t.chunkTimes[first] - t.startMs) / 1000;
  const latency = ((mode === 'vllm' ? t.chunkTimes[last] : Math.max(t.lastLineMs, t.chunkTimes[last])) - t.startMs) / 1000;
  // vLLM falls back to re-tokenizing the generated text; we keep no text, so we count text-bearing chunks (one token
  // each on vLLM and SGLang servers), and the result marks the count as estimated.
  const outputLen = mode === 'sglang' ? (t.usageCompletionTokens ?? t.requestedOutputLen) : t.usageCompletionTokens || textChunks || 1;
  return { ttft, latency, outputLen };
}

/**
 * The one TTFT/ITL extraction for distributions (the results panel's charts): per successful request, TTFT and the
 * gaps between counted messages in ms, under the run's metric mode (the same `counts`/`timingOf` the tables use, so
 * charts and tables agree in SGLang mode too). At most maxItls gaps are read (bounded memory for long runs).
 */
export function timingsMs(traces: readonly RequestTrace[], mode: 'vllm' | 'sglang', maxItls = 200_000): { ttftsMs: number[]; itlsMs: number[] } {
  const ttftsMs: number[] = [];
  const itlsMs: number[] = [];
  for (const t of traces) {
    if (!t.success) continue;
    const timing = timingOf(t, mode);
    if (!timing) continue;
    ttftsMs.push(timing.ttft * 1000);
    let prev = -1;
    for (let i = 0; i < t.chunks && itlsMs.length < maxItls; i++) {
      if (!counts(t, i, mode)) continue;
      if (prev >= 0) itlsMs.push(t.chunkTimes[i] - prev);
      prev = t.chunkTimes[i];
    }
  }
  return { ttftsMs, itlsMs };
}
