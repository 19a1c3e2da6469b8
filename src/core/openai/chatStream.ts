import { request, type Dispatcher } from 'undici';
import { SseParser } from './sseParser';

export interface StreamResult {
  readonly reasoning: string;
  readonly content: string;
  readonly ttftMs: number;
  readonly e2eMs: number;
  readonly completionTokens?: number;
  readonly promptTokens?: number;
  readonly finishReason?: string;
  readonly simulated: boolean;
}

export class OpenAIError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

interface ChunkChoice { delta?: { content?: string | null; reasoning?: string | null; reasoning_content?: string | null }; finish_reason?: string | null }
interface Chunk { choices?: ChunkChoice[]; usage?: { completion_tokens?: number; prompt_tokens?: number } | null; error?: { message?: string } }

/** One streamed chat completion, timed the way vLLM's benchmark times it (TTFT at the first chunk with choices). */
export async function streamChat(opts: {
  baseUrl: string;
  model: string;
  prompt: string;
  maxTokens: number;
  apiKey?: string;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
}): Promise<StreamResult> {
  const st = performance.now();
  const res = await request(`${opts.baseUrl.replace(/\/$/, '')}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
    body: JSON.stringify({ model: opts.model, messages: [{ role: 'user', content: opts.prompt }], max_tokens: opts.maxTokens, stream: true, stream_options: { include_usage: true } }),
    signal: opts.signal,
    dispatcher: opts.dispatcher,
  });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    let msg = text;
    try {
      const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      msg = (typeof j.error === 'object' ? j.error.message : j.error) ?? j.message ?? text;
    } catch {
      /* not JSON: keep the text */
    }
    throw new OpenAIError(`HTTP ${res.statusCode}: ${msg}`, res.statusCode);
  }
  const parser = new SseParser();
  let ttft = -1;
  let last = st;
  let reasoning = '';
  let content = '';
  let usage: Chunk['usage'];
  let finishReason: string | undefined;
  const handle = (data: string): void => {
    if (data === '[DONE]') return;
    const c = JSON.parse(data) as Chunk;
    if (c.error) throw new OpenAIError(`stream error: ${c.error.message ?? 'unknown'}`);
    if (c.choices && c.choices.length) {
      const now = performance.now();
      if (ttft < 0) ttft = now - st;
      last = now;
      const ch = c.choices[0];
      reasoning += ch.delta?.reasoning ?? ch.delta?.reasoning_content ?? '';
      content += ch.delta?.content ?? '';
      finishReason = ch.finish_reason ?? finishReason;
    }
    if (c.usage) usage = c.usage;
  };
  for await (const chunk of res.body) for (const ev of parser.push(chunk as Uint8Array)) handle(ev);
  for (const ev of parser.end()) handle(ev);
  if (ttft < 0) throw new OpenAIError('Never received a valid chunk to calculate TTFT.');
  return {
    reasoning,
    content,
    ttftMs: ttft,
    e2eMs: last - st,
    completionTokens: usage?.completion_tokens,
    promptTokens: usage?.prompt_tokens,
    finishReason,
    simulated: res.headers['x-deepseek-simulated'] === '1',
  };
}
