import { Pool, type Dispatcher } from 'undici';
import { pushChunk, type RequestTrace } from './trace';

const DOUBLE_NL = Buffer.from('\n\n');
const CHOICES = Buffer.from('"choices":');
const TEXT_KEYS = ['"content":"', '"reasoning_content":"', '"reasoning":"', '"text":"'].map((k) => Buffer.from(k));
const QUOTE = 0x22;
const SPACE = 0x20;

/**
 * Classifies one SSE message without JSON.parse (the hot path: one call per chunk). A message with a non-empty
 * `choices` array is a token chunk; it "has text" when a content/reasoning/text string is non-empty. Usage and error
 * messages (no choices) are parsed as JSON: there is one per request.
 */
export function classify(msg: Buffer): { kind: 'choices'; text: boolean } | { kind: 'done' } | { kind: 'other' } | { kind: 'json'; value: unknown } {
  if (msg[0] === 0x3a) return { kind: 'other' }; // ":" comment / keep-alive
  // "data:" with or without the space
  if (msg.length < 5 || msg[0] !== 0x64 || msg[4] !== 0x3a) return { kind: 'other' };
  let p = 5;
  if (msg[p] === SPACE) p++;
  if (msg.length - p === 6 && msg.toString('latin1', p) === '[DONE]') return { kind: 'done' };
  const c = msg.indexOf(CHOICES, p);
  if (c >= 0) {
    let q = c + CHOICES.length;
    while (msg[q] === SPACE) q++;
    if (msg[q] === 0x5b) {
      q++;
      while (msg[q] === SPACE) q++;
      if (msg[q] !== 0x5d) {
        let text = false;
        for (const k of TEXT_KEYS) {
          const i = msg.indexOf(k, q);
          if (i >= 0 && msg[i + k.length] !== QUOTE) {
            text = true;
            break;
          }
        }
        // Pretty-printed JSON ("content": "x") misses the compact keys: parse that rare form properly.
        if (!text && msg.includes('": "')) return { kind: 'json', value: JSON.parse(msg.toString('utf8', p)) as unknown };
        return { kind: 'choices', text };
      }
    }
  }
  return { kind: 'json', value: JSON.parse(msg.toString('utf8', p)) as unknown };
}

interface JsonChunk { choices?: { delta?: Record<string, unknown>; text?: unknown }[]; usage?: { completion_tokens?: number; prompt_tokens?: number } | null; error?: { message?: string } | string; message?: string }

function textOf(c: JsonChunk): boolean {
  const ch = c.choices?.[0];
  if (!ch) return false;
  const d = ch.delta ?? {};
  return [d.content, d.reasoning, d.reasoning_content, ch.text].some((x) => typeof x === 'string' && x.length > 0);
}

export interface SendOptions {
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly signal?: AbortSignal;
}

/**
 * One streamed request on a keep-alive pool, recorded into `trace`: a receive timestamp per network read (messages
 * in the same read share it, as in vLLM's client), only typed-array writes per chunk. Resolves when the response ends
 * or fails; never rejects — failures are recorded in the trace.
 */
export function sendStreaming(pool: Dispatcher, opts: SendOptions, trace: RequestTrace): Promise<void> {
  return new Promise((resolve) => {
    let carry: Buffer | undefined;
    let status = 0;
    let errBody = '';
    let sawChoices = false;
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      if (error) {
        trace.success = false;
        trace.error = error;
      } else if (!sawChoices) {
        trace.success = false;
        trace.error = 'Never received a valid chunk to calculate TTFT.';
      } else if (trace.error === undefined) {
        trace.success = true;
      }
      resolve();
    };
    const onMessage = (msg: Buffer, now: number): void => {
      trace.lastLineMs = now;
      const k = classify(msg);
      if (k.kind === 'choices') {
        sawChoices = true;
        pushChunk(trace, now, k.text);
      } else if (k.kind === 'json') {
        const c = k.value as JsonChunk;
        if (c.choices && c.choices.length) {
          sawChoices = true;
          pushChunk(trace, now, textOf(c));
        }
        if (c.usage) {
          if (typeof c.usage.completion_tokens === 'number') trace.usageCompletionTokens = c.usage.completion_tokens;
          if (typeof c.usage.prompt_tokens === 'number') trace.usagePromptTokens = c.usage.prompt_tokens;
        }
        // A mid-stream error event (vLLM/SGLang engine failure): vLLM's own client ignores it; we fail the request.
        if (c.error) trace.error = `mid-stream error: ${typeof c.error === 'string' ? c.error : (c.error.message ?? 'unknown')}`;
      }
    };
    let controller: Dispatcher.DispatchController | undefined;
    const onAbort = (): void => controller?.abort(new Error('cancelled'));
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (opts.signal?.aborted) c.abort(new Error('cancelled'));
      },
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(_c, chunk) {
        const now = performance.now();
        if (status !== 200) {
          if (errBody.length < 2000) errBody += chunk.toString('utf8');
          return;
        }
        const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
        carry = undefined;
        let start = 0;
        let nl: number;
        while ((nl = buf.indexOf(DOUBLE_NL, start)) >= 0) {
          if (nl > start) {
            try {
              onMessage(buf.subarray(start, nl), now);
            } catch {
              trace.error ??= `malformed SSE message: ${buf.toString('utf8', start, Math.min(nl, start + 120))}`;
            }
          }
          start = nl + 2;
        }
        if (start < buf.length) carry = Buffer.from(buf.subarray(start));
      },
      onResponseEnd() {
        if (status !== 200) {
          let msg = errBody.trim();
          try {
            const j = JSON.parse(msg) as JsonChunk;
            msg = (typeof j.error === 'object' ? j.error.message : j.error) ?? j.message ?? msg;
          } catch {
            /* not JSON */
          }
          opts.signal?.removeEventListener('abort', onAbort);
          return finish(`HTTP ${status}: ${msg.slice(0, 300)}`);
        }
        if (carry && carry.length) {
          try {
            onMessage(carry, performance.now());
          } catch {
            /* a cut final message */
          }
        }
        opts.signal?.removeEventListener('abort', onAbort);
        finish();
      },
      onResponseError(_c, err) {
        opts.signal?.removeEventListener('abort', onAbort);
        finish(opts.signal?.aborted ? 'cancelled' : `${err.name === 'AbortError' ? 'cancelled' : (err as Error & { code?: string }).code ?? err.message}`);
      },
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    trace.startMs = performance.now();
    try {
      pool.dispatch({ method: 'POST', path: opts.path, headers: opts.headers, body: opts.body }, handler);
    } catch (e) {
      finish((e as Error).message);
    }
  });
}

export function newPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 6 * 3600_000, bodyTimeout: 6 * 3600_000 });
}
