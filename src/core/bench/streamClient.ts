import { Pool, type Dispatcher } from 'undici';
import type { RequestTrace } from './trace';
import { httpErrorMessage, recordMessage, splitEvents } from './sseScan';

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
    const out = new Int32Array(1);
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
        const start = splitEvents(buf, 0, buf.length, (s, e) => {
          if (recordMessage(trace, buf, s, e, now, out)) sawChoices = true;
        });
        if (start < buf.length) carry = Buffer.from(buf.subarray(start));
      },
      onResponseEnd() {
        if (status !== 200) {
          opts.signal?.removeEventListener('abort', onAbort);
          return finish(httpErrorMessage(status, errBody));
        }
        if (carry && carry.length && recordMessage(trace, carry, 0, carry.length, performance.now(), out)) sawChoices = true;
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

/** `insecure`: skip TLS certificate checks (vLLM bench serve --insecure). */
export function newPool(origin: string, connections: number, insecure = false): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 6 * 3600_000, bodyTimeout: 6 * 3600_000, ...(insecure ? { connect: { rejectUnauthorized: false } } : {}) });
}
