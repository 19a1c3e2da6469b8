import type { Dispatcher, Pool } from 'undici';
import { setFlagsFromString } from 'node:v8';
import { traceOverrun, type RequestTrace } from './trace';
import { recordMessage } from './sseScan';
import { connectErrorMessage } from './connectError';
import { readModeration } from './readModeration';
import { httpErrorMessage, noTokenChunkMessage } from '../openai/cappedBody';
import { SseByteReader } from '../openai/sseParser';
import { DEFAULT_STREAM_LIMITS, MAX_ERROR_BODY_BYTES, StreamDeadline, type StreamLimits } from '../openai/streamLimits';

export interface SendOptions {
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly signal?: AbortSignal;
  readonly limits?: StreamLimits;
}

/**
 * One streamed request on a keep-alive pool (`transport: 'undici'`, for plain or agentic runs), recorded into `trace`: a receive
 * timestamp per network read (messages in the same read share it, as in vLLM's client), only typed-array writes per
 * chunk. SSE is read by the product's one reader in place in undici's chunk buffers; stream deadlines and size caps
 * come from `opts.limits`; an error body is read up to 64 KiB, then the request is aborted. Resolves when the response
 * ends or fails; never rejects — failures (and cancels, marked `trace.cancelled`) are recorded in the trace.
 */
export function sendStreaming(pool: Dispatcher, opts: SendOptions, trace: RequestTrace): Promise<void> {
  return new Promise((resolve) => {
    const limits = opts.limits ?? DEFAULT_STREAM_LIMITS;
    let status = 0;
    let errBody = '';
    let errBytes = 0;
    let sawChoices = false;
    let contentType: string | undefined;
    let done = false;
    let now = 0;
    /** Why we aborted the request ourselves (cancel, deadline, cap), reported instead of undici's abort error. */
    let reason: string | undefined;
    const reader = new SseByteReader({
      onSseEvent(buf, s, e, type) {
        deadline.event(now);
        if (recordMessage(trace, buf, s, e, now, type)) sawChoices = true;
        const overrun = traceOverrun(trace);
        if (overrun !== undefined) abortWith(overrun);
      },
      // undici hands over views of fresh socket reads that nothing changes afterwards: a huge line keeps them.
    }, limits.maxEventBytes, { retainInput: true });
    let controller: Dispatcher.DispatchController | undefined;
    const abortWith = (why: string): void => {
      reason ??= why;
      if (why === 'cancelled') trace.cancelled = true;
      controller?.abort(new Error(why));
    };
    const deadline = new StreamDeadline(limits, abortWith);
    const onAbort = (): void => abortWith('cancelled');
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      deadline.stop();
      opts.signal?.removeEventListener('abort', onAbort);
      if (error) {
        trace.success = false;
        trace.error = error;
      } else if (!sawChoices) {
        trace.success = false;
        trace.error = noTokenChunkMessage(contentType);
      } else if (trace.error === undefined) {
        trace.success = true;
      }
      resolve();
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (reason !== undefined || opts.signal?.aborted) c.abort(new Error(reason ?? 'cancelled'));
      },
      onResponseStart(_c, statusCode, headers) {
        status = statusCode;
        const ct = headers['content-type'];
        contentType = Array.isArray(ct) ? ct.join(', ') : ct;
      },
      onResponseData(_c, chunk) {
        if (status !== 200) {
          const keep = Math.min(chunk.length, MAX_ERROR_BODY_BYTES - errBytes);
          if (keep > 0) errBody += chunk.toString('utf8', 0, keep);
          errBytes += keep;
          // Enough for the message: stop reading an endless error body.
          if (errBytes >= MAX_ERROR_BODY_BYTES) abortWith(httpErrorMessage(status, errBody));
          return;
        }
        now = performance.now();
        readModeration.noteRead(chunk.length);
        reader.push(chunk, 0, chunk.length);
        if (reader.error !== undefined) abortWith(reader.error);
      },
      onResponseEnd() {
        if (status !== 200) return finish(httpErrorMessage(status, errBody));
        // An event without its closing blank line is discarded (the SSE standard's rule; see sseParser.ts).
        reader.end();
        finish();
      },
      onResponseError(_c, err) {
        if (opts.signal?.aborted && reason === undefined) {
          reason = 'cancelled';
          trace.cancelled = true;
        }
        finish(reason ?? (err.name === 'AbortError' ? 'cancelled' : connectErrorMessage(err)));
      },
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    trace.startMs = performance.now();
    deadline.start(trace.startMs);
    try {
      pool.dispatch({ method: 'POST', path: opts.path, headers: opts.headers, body: opts.body }, handler);
    } catch (e) {
      finish((e as Error).message);
    }
  });
}

/**
 * undici's Pool class alone (lib/dispatcher/pool.js, its module.exports; undici's index exports the same class).
 * Why not the index: it also loads undici's fetch, cookies and WebSocket, and loading those reads Node's global
 * `Headers`, which loads Node's own copy of undici and compiles that copy's llhttp WebAssembly, in every process that
 * loads the benchmark, for nothing (test/unit/benchNoWasm.test.ts counts the compiles). The bench bundle also
 * shrinks: 618 → 366 KB (esbuild --production).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path inside undici: esbuild bundles only the pool
const UndiciPool = require('undici/lib/dispatcher/pool.js') as typeof Pool;
let liftoffOnly = false;

/**
 * A keep-alive pool; no undici timeouts of its own (the stream deadlines of `StreamLimits` apply instead).
 * `insecure`: skip TLS certificate checks (vLLM bench serve --insecure).
 *
 * The first pool puts V8 in Liftoff-only mode for WebAssembly compiled from then on (`--liftoff-only`, a process-wide
 * flag; the undici transport is a CLI choice, `--transport undici`, never taken in the VS Code extension host). Why:
 * undici parses HTTP with llhttp compiled to WebAssembly, and V8 tiers a hot parser up to TurboFan in the middle of the
 * measured run, on a background thread that competes with the client for the cores and keeps ~10–17 MB of compile
 * memory. Measured (2 cores): 16 requests × 20 000 chunks, client CPU 1100–1400 ms with the tier-up, 840–1090 ms
 * Liftoff-only; a refused 100 MB event, peak RSS growth 27–50 MB with it, 14–17 MB without (test/infra/bench-sse.js).
 * Baseline code is enough for llhttp here: an SSE body is passed through in spans, with little work per byte.
 */
export function newPool(origin: string, connections: number, insecure = false): Pool {
  if (!liftoffOnly) {
    setFlagsFromString('--liftoff-only');
    liftoffOnly = true;
  }
  return new UndiciPool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 6 * 3600_000, bodyTimeout: 6 * 3600_000, ...(insecure ? { connect: { rejectUnauthorized: false } } : {}) });
}

/**
 * Opens `n` of the pool's connections before the clock starts (truth counting): `n` concurrent GETs of `path` (the
 * model list), each body dropped, at most 64 KiB read. Resolves when all have ended; failures are not errors here (the
 * run reports an unreachable server). `signal` aborts the GETs. Uses `dispatch`, the one method undici's Pool class
 * has without its index (see UndiciPool).
 */
export function preconnectPool(pool: Dispatcher, n: number, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let bytes = 0;
      let controller: Dispatcher.DispatchController | undefined;
      const onAbort = (): void => controller?.abort(new Error('cancelled'));
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        pool.dispatch({ method: 'GET', path, headers }, {
          onRequestStart(c) {
            controller = c;
            if (signal.aborted) c.abort(new Error('cancelled'));
          },
          onResponseData(c, chunk) {
            bytes += chunk.length;
            if (bytes > 65536) c.abort(new Error('model list longer than 64 KiB'));
          },
          onResponseEnd: done,
          onResponseError: done,
        });
      } catch {
        done();
      }
    });
  return Promise.all(Array.from({ length: n }, one)).then(() => undefined);
}
