import { httpErrorText, postStream } from './httpRequest';
import { normalizeBaseUrl } from './baseUrl';
import { SseParser, SseLimitError, type SseEvent } from './sseParser';
import { ReasoningSplitter, splitModeFor, type SplitMode } from './reasoningSplit';
import { findModel } from '../plan/catalog';
import { httpErrorMessage, noTokenChunkMessage, NOT_SSE_BODY_BYTES, readCappedBody } from './cappedBody';
import { redactText } from '../security/redact';
import { ToolCallAssembler, type ToolCallDelta } from './toolCallAssembly';
import { MAX_ANSWER_CHARS, MAX_ERROR_BODY_BYTES, StreamDeadline, answerTooLongMessage, streamLimits, type StreamLimits } from './streamLimits';
import type { ToolCall, WireMessage } from '../chat/conversation';

export interface StreamResult {
  readonly reasoning: string;
  readonly content: string;
  readonly ttftMs: number;
  readonly e2eMs: number;
  readonly completionTokens?: number;
  readonly promptTokens?: number;
  readonly finishReason?: string;
  readonly simulated: boolean;
  /** Chunks that carried reasoning (a token each on vLLM and SGLang). */
  readonly reasoningTokens: number;
  /** From sending to the first answer text; undefined when no answer text came. */
  readonly thoughtMs?: number;
  /** Tool calls assembled from `delta.tool_calls` (id and name from the first delta of an index, arguments joined). */
  readonly toolCalls?: ToolCall[];
}

/**
 * Every failure of a chat request, normalised: HTTP errors (status, the engine's message from flat or nested bodies),
 * a mid-stream `data: {"error": …}`, a broken or cut stream, a cancelled request. What arrived before is kept.
 */
export class OpenAIError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly kind: 'http' | 'stream' | 'network' | 'aborted' = status ? 'http' : 'stream',
    readonly partial: { readonly reasoning: string; readonly content: string } = { reasoning: '', content: '' },
  ) {
    super(message);
    this.name = 'OpenAIError';
  }
}

interface ChunkChoice { delta?: { content?: string | null; reasoning?: string | null; reasoning_content?: string | null; tool_calls?: ToolCallDelta[] | null }; finish_reason?: string | null }
interface Chunk { choices?: ChunkChoice[]; usage?: { completion_tokens?: number; prompt_tokens?: number } | null; error?: { message?: string } }

/** One streamed chat completion, timed the way vLLM's benchmark times it (TTFT at the first chunk with choices). */
export async function streamChat(opts: {
  baseUrl: string;
  model: string;
  /** One user turn, or the whole conversation (see core/chat/conversation.requestMessages). */
  prompt?: string;
  messages?: readonly WireMessage[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  apiKey?: string;
  signal?: AbortSignal;
  /**
   * How to read unparsed text (see SplitMode; true = reasoning-first, false = none). Default: from the catalog entry
   * of `model` and `thinking` (DeepSeek-V3 → none, R1 → reasoning-first, unknown → tagged).
   */
  reasoningModel?: boolean | SplitMode;
  /** This request's thinking switch for hybrid models (V3.1 onwards), as sent in extraBody. */
  thinking?: boolean;
  /** Extra request fields (chat_template_kwargs, reasoning_effort, tools …), merged into the body. */
  extraBody?: Record<string, unknown>;
  /** Called with each piece as it arrives (reasoning and answer already split). */
  onDelta?: (d: { reasoning: string; content: string }) => void;
  /** Called per chunk that carries tool-call deltas, with the name of the call being written (so far). */
  onToolCallDelta?: (name: string) => void;
  /** Event size cap and stream deadlines (defaults: 16 MiB, 600 s to the first data, 120 s between data). */
  limits?: Partial<StreamLimits>;
}): Promise<StreamResult> {
  const limits = streamLimits(opts.limits);
  const st = performance.now();
  // Our own abort (deadline) joined with the caller's cancel; `expired` tells the two apart afterwards.
  const ac = new AbortController();
  let expired: string | undefined;
  const deadline = new StreamDeadline(limits, (msg) => {
    expired = msg;
    ac.abort(new Error(msg));
  });
  const signal = opts.signal ? AbortSignal.any([opts.signal, ac.signal]) : ac.signal;
  deadline.start(st);
  try {
    return await streamChatBody(opts, limits, st, signal, deadline, () => expired);
  } finally {
    deadline.stop();
  }
}

async function streamChatBody(
  opts: Parameters<typeof streamChat>[0],
  limits: StreamLimits,
  st: number,
  signal: AbortSignal,
  deadline: StreamDeadline,
  expired: () => string | undefined,
): Promise<StreamResult> {
  const split = new ReasoningSplitter(opts.reasoningModel ?? splitModeFor(findModel(opts.model), opts.thinking));
  const partial = (): { reasoning: string; content: string } => ({ reasoning: split.reasoning, content: split.content });
  const res = await postStream(
    `${normalizeBaseUrl(opts.baseUrl)}/v1/chat/completions`,
    { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
    JSON.stringify({
      model: opts.model,
      messages: opts.messages ?? [{ role: 'user', content: opts.prompt ?? '' }],
      max_tokens: opts.maxTokens,
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      ...(opts.topP !== undefined ? { top_p: opts.topP } : {}),
      ...opts.extraBody,
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal,
  ).catch((e: unknown) => {
    const err = e as Error & { code?: string };
    if (expired()) throw new OpenAIError(expired()!, undefined, 'stream');
    if (err.name === 'AbortError' || opts.signal?.aborted) throw new OpenAIError('Request cancelled.', undefined, 'aborted');
    throw new OpenAIError(`Cannot reach ${opts.baseUrl}: ${httpErrorText(err)}`, undefined, 'network');
  });
  if (res.statusCode !== 200) {
    // At most 64 KiB of an error page is read (an endless 500 body would otherwise never end).
    const { text } = await readCappedBody(res.body, MAX_ERROR_BODY_BYTES).catch(() => ({ text: '' }));
    throw new OpenAIError(httpErrorMessage(res.statusCode, text), res.statusCode);
  }
  // node:http hands over a fresh Buffer per socket read that nothing changes afterwards: a huge line keeps them.
  const parser = new SseParser(limits.maxEventBytes, { retainInput: true });
  let ttft = -1;
  let last = st;
  let usage: Chunk['usage'];
  let finishReason: string | undefined;
  let reasoningTokens = 0;
  const toolCalls = new ToolCallAssembler();
  let thoughtMs: number | undefined;
  const handle = (ev: SseEvent): void => {
    if (ev.data === '[DONE]') return;
    let c: Chunk;
    try {
      c = JSON.parse(ev.data) as Chunk;
    } catch {
      if (ev.type === 'error') throw new OpenAIError(`The server reported an error mid-stream: ${ev.data.slice(0, 300)}`, undefined, 'stream', partial());
      throw new OpenAIError(`The server sent an SSE event that is not JSON: ${ev.data.slice(0, 120)}`, undefined, 'stream', partial());
    }
    if (c?.error || ev.type === 'error') throw new OpenAIError(`The server reported an error mid-stream: ${c?.error?.message ?? ev.data.slice(0, 300)}`, undefined, 'stream', partial());
    if (c.choices && c.choices.length) {
      const now = performance.now();
      if (ttft < 0) ttft = now - st;
      last = now;
      const ch = c.choices[0];
      if (ch.delta) {
        let name: string | undefined;
        try {
          name = toolCalls.push(ch.delta.tool_calls);
        } catch (e) {
          throw new OpenAIError((e as Error).message, undefined, 'stream', partial());
        }
        if (name !== undefined) opts.onToolCallDelta?.(name);
        const d = split.push(ch.delta);
        if (split.reasoning.length + split.content.length > MAX_ANSWER_CHARS) throw new OpenAIError(answerTooLongMessage(), undefined, 'stream', partial());
        if (d.reasoning) reasoningTokens++;
        if (d.content && thoughtMs === undefined) thoughtMs = now - st;
        if (d.reasoning || d.content) opts.onDelta?.(d);
      }
      finishReason = ch.finish_reason ?? finishReason;
    }
    if (c.usage) usage = c.usage;
  };
  let sawDone = false;
  const onEvent = (ev: SseEvent): void => {
    // Any data event (not a comment) keeps the stream alive for the deadlines.
    deadline.event(performance.now());
    if (ev.data === '[DONE]') sawDone = true;
    handle(ev);
  };
  // The body's start, for the error when no chunk came (a proxy answering JSON because it dropped "stream": true).
  let bodyStart = '';
  // A server that echoes the key may put it across the cut: keep enough more for its longest form (%-escaped: 3×).
  const keepBytes = NOT_SSE_BODY_BYTES + 3 * (opts.apiKey?.length ?? 0);
  try {
    for await (const chunk of res.body) {
      if (ttft < 0 && bodyStart.length < keepBytes) bodyStart += (chunk as Buffer).toString('utf8', 0, keepBytes - bodyStart.length);
      for (const ev of parser.pushEvents(chunk as Uint8Array)) onEvent(ev);
    }
    parser.end();
  } catch (e) {
    if (e instanceof OpenAIError) throw e;
    res.body.destroy();
    if (e instanceof SseLimitError) throw new OpenAIError(e.message, undefined, 'stream', partial());
    if (expired()) throw new OpenAIError(expired()!, undefined, 'stream', partial());
    if (opts.signal?.aborted) throw new OpenAIError('Request cancelled.', undefined, 'aborted', partial());
    // node:http reports a connection closed mid-body as "aborted", which reads like a cancel: httpErrorText says what happened.
    throw new OpenAIError(`The stream broke: ${httpErrorText(e)}`, undefined, 'stream', partial());
  }
  const tail = split.end();
  if (tail.content && thoughtMs === undefined) thoughtMs = last - st;
  if (tail.reasoning || tail.content) opts.onDelta?.(tail);
  if (ttft < 0) {
    const ct = res.headers['content-type'];
    throw new OpenAIError(noTokenChunkMessage(Array.isArray(ct) ? ct.join(', ') : ct, keyFreeStart(bodyStart, opts.apiKey)), undefined, 'stream');
  }
  if (!sawDone) {
    const cut = parser.droppedBytes > 0 ? ` in the middle of an event (${parser.droppedBytes} bytes without the closing blank line were dropped)` : ' without [DONE]';
    throw new OpenAIError(`The stream ended${cut} (connection cut).`, undefined, 'stream', partial());
  }
  const reasoning = split.reasoning;
  const content = split.content;
  return {
    reasoning,
    content,
    ttftMs: ttft,
    e2eMs: last - st,
    completionTokens: usage?.completion_tokens,
    promptTokens: usage?.prompt_tokens,
    finishReason,
    simulated: res.headers['x-deepseek-simulated'] === '1',
    reasoningTokens,
    thoughtMs,
    ...(toolCalls.result().length ? { toolCalls: toolCalls.result() } : {}),
  };
}

/**
 * The start of a body for an error line without the API key: redacted where whole (redactText: plain, %-escaped,
 * JSON-escaped, base64), and a trailing piece that could be the beginning of one of those forms cut off — a key cut by
 * the byte limit or the 200-character cut is not whole, so redaction downstream (chat history, CLI) would miss it.
 */
function keyFreeStart(bodyStart: string, apiKey: string | undefined): string {
  let text = redactText(bodyStart.replace(/\s+/g, ' '), [apiKey]).slice(0, 200);
  if (!apiKey) return text;
  for (const form of [apiKey, encodeURIComponent(apiKey), JSON.stringify(apiKey).slice(1, -1), Buffer.from(apiKey).toString('base64')]) {
    for (let n = Math.min(form.length - 1, text.length); n > 0; n--) {
      if (text.endsWith(form.slice(0, n))) {
        text = text.slice(0, -n);
        break;
      }
    }
  }
  return text;
}
