import { request, type Dispatcher } from 'undici';
import { SseParser } from './sseParser';
import { ReasoningSplitter } from './reasoningSplit';
import { errorBodyMessage } from './errorBody';

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

interface ChunkChoice { delta?: { content?: string | null; reasoning?: string | null; reasoning_content?: string | null }; finish_reason?: string | null }
interface Chunk { choices?: ChunkChoice[]; usage?: { completion_tokens?: number; prompt_tokens?: number } | null; error?: { message?: string } }

/** One streamed chat completion, timed the way vLLM's benchmark times it (TTFT at the first chunk with choices). */
export async function streamChat(opts: {
  baseUrl: string;
  model: string;
  /** One user turn, or the whole conversation (see core/chat/conversation.requestMessages). */
  prompt?: string;
  messages?: readonly { role: 'system' | 'user' | 'assistant'; content: string }[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  apiKey?: string;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  /** DeepSeek-V3 and other non-reasoning models: never look for <think> tags. */
  reasoningModel?: boolean;
  /** Called with each piece as it arrives (reasoning and answer already split). */
  onDelta?: (d: { reasoning: string; content: string }) => void;
}): Promise<StreamResult> {
  const st = performance.now();
  const split = new ReasoningSplitter(opts.reasoningModel ?? true);
  const partial = (): { reasoning: string; content: string } => ({ reasoning: split.reasoning, content: split.content });
  const res = await request(`${opts.baseUrl.replace(/\/$/, '')}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
    body: JSON.stringify({
      model: opts.model,
      messages: opts.messages ?? [{ role: 'user', content: opts.prompt ?? '' }],
      max_tokens: opts.maxTokens,
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      ...(opts.topP !== undefined ? { top_p: opts.topP } : {}),
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal: opts.signal,
    dispatcher: opts.dispatcher,
  }).catch((e: unknown) => {
    const err = e as Error & { code?: string };
    if (err.name === 'AbortError' || opts.signal?.aborted) throw new OpenAIError('Request cancelled.', undefined, 'aborted');
    throw new OpenAIError(`Cannot reach ${opts.baseUrl}: ${err.code ?? err.message}`, undefined, 'network');
  });
  if (res.statusCode !== 200) {
    throw new OpenAIError(`HTTP ${res.statusCode}: ${errorBodyMessage(await res.body.text())}`, res.statusCode);
  }
  const parser = new SseParser();
  let ttft = -1;
  let last = st;
  let usage: Chunk['usage'];
  let finishReason: string | undefined;
  let reasoningTokens = 0;
  let thoughtMs: number | undefined;
  const handle = (data: string): void => {
    if (data === '[DONE]') return;
    const c = JSON.parse(data) as Chunk;
    if (c.error) throw new OpenAIError(`The server reported an error mid-stream: ${c.error.message ?? 'unknown'}`, undefined, 'stream', partial());
    if (c.choices && c.choices.length) {
      const now = performance.now();
      if (ttft < 0) ttft = now - st;
      last = now;
      const ch = c.choices[0];
      if (ch.delta) {
        const d = split.push(ch.delta);
        if (d.reasoning) reasoningTokens++;
        if (d.content && thoughtMs === undefined) thoughtMs = now - st;
        if (d.reasoning || d.content) opts.onDelta?.(d);
      }
      finishReason = ch.finish_reason ?? finishReason;
    }
    if (c.usage) usage = c.usage;
  };
  let sawDone = false;
  const onEvent = (ev: string): void => {
    if (ev === '[DONE]') sawDone = true;
    handle(ev);
  };
  try {
    for await (const chunk of res.body) for (const ev of parser.push(chunk as Uint8Array)) onEvent(ev);
    for (const ev of parser.end()) onEvent(ev);
  } catch (e) {
    if (e instanceof OpenAIError) throw e;
    if (opts.signal?.aborted) throw new OpenAIError('Request cancelled.', undefined, 'aborted', partial());
    throw new OpenAIError(`The stream broke: ${(e as Error).message}`, undefined, 'stream', partial());
  }
  const tail = split.end();
  if (tail.content && thoughtMs === undefined) thoughtMs = last - st;
  if (tail.reasoning || tail.content) opts.onDelta?.(tail);
  if (ttft < 0) throw new OpenAIError('Never received a valid chunk to calculate TTFT.', undefined, 'stream');
  if (!sawDone) throw new OpenAIError('The stream ended without [DONE] (connection cut).', undefined, 'stream', partial());
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
  };
}
