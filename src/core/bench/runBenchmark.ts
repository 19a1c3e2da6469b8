import { setMaxListeners } from 'node:events';
import { request } from 'undici';
import { arrivalTimes } from './arrivals';
import { calculateMetrics, type BenchmarkMetrics, type Goodput, type MetricName } from './metrics';
import { parseServerMetrics, probeServer, type MetricsSample, type ServerInfo } from './serverInfo';
import { newPool, sendStreaming } from './streamClient';
import { RawHttpPool } from './rawHttpClient';
import { newTrace, type RequestTrace } from './trace';
import { connectionCap } from './connectError';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from '../openai/streamLimits';
import { findModel } from '../plan/catalog';
import { thinkingRequestFields, type ThinkingLevel } from '../chat/thinkingControl';
import { calibrateChatRequests, randomTokenRequests, type BenchRequest, type RandomWorkload } from './workload';

export interface BenchConfig {
  readonly baseUrl: string;
  /** openai → /v1/completions (token-id prompts); openai-chat → /v1/chat/completions (calibrated text). */
  readonly backend: 'openai' | 'openai-chat';
  readonly endpoint?: string;
  readonly model?: string;
  readonly apiKey?: string;
  readonly random: RandomWorkload;
  /** Already-built requests (a prompt file); replaces the random dataset. */
  readonly requests?: readonly BenchRequest[];
  readonly requestRate: number;
  readonly burstiness: number;
  readonly maxConcurrency?: number;
  readonly numWarmups: number;
  readonly ignoreEos: boolean;
  readonly temperature?: number;
  readonly percentileMetrics: readonly MetricName[];
  readonly metricPercentiles: readonly number[];
  readonly goodput?: Goodput;
  /** 'sglang' computes SGLang bench_serving's definitions from the same traces. */
  readonly mode: 'vllm' | 'sglang';
  readonly label?: string;
  readonly sampleServerMetrics?: boolean;
  /** Force undici for http:// too (the raw client is the default there). */
  readonly transport?: 'raw' | 'undici';
  /** SSE event cap and stream deadlines (defaults: 16 MiB, 600 s first data, 120 s between data). */
  readonly limits?: StreamLimits;
  /**
   * The model's thinking mode for every chat request (off / on / high / max), sent explicitly as the chat control does
   * (thinkingRequestFields: engines default differently) and recorded in the result; undefined sends nothing.
   */
  readonly thinking?: ThinkingLevel;
}

export interface Progress { elapsedS: number; sent: number; completed: number; failed: number; total: number; reqPerS: number; outTokPerS: number; inflight: number }

export interface BenchRun {
  readonly config: BenchConfig;
  readonly model: string;
  readonly server: ServerInfo;
  readonly startedAt: Date;
  readonly durationS: number;
  readonly traces: RequestTrace[];
  readonly cancelled: boolean;
  readonly metrics: BenchmarkMetrics;
  readonly serverMetrics: MetricsSample[];
}

class Semaphore {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.free++;
  }
  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    if (ms <= 0 || signal?.aborted) return r();
    const onAbort = (): void => {
      clearTimeout(t);
      r();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      r();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The request fields for cfg.thinking: the catalog model's own control (chat_template_kwargs / reasoning_effort, which
 * throws when the model does not offer that level); for a model the catalog does not know, the common
 * `chat_template_kwargs: {thinking, reasoning_effort}` form. Only chat requests go through a chat template, so a
 * thinking mode on /v1/completions is refused rather than silently ignored.
 */
function thinkingFieldsFor(cfg: BenchConfig, model: string, chat: boolean): Record<string, unknown> {
  if (!cfg.thinking) return {};
  if (!chat) throw new Error(`thinking ${cfg.thinking}: only chat requests (--backend openai-chat) go through the chat template that reads it`);
  const variant = findModel(model);
  if (variant) return thinkingRequestFields(variant, cfg.thinking);
  const on = cfg.thinking !== 'off';
  return { chat_template_kwargs: on && cfg.thinking !== 'on' ? { thinking: true, reasoning_effort: cfg.thinking } : { thinking: on } };
}

/**
 * `vllm bench serve` in TypeScript: resolve the model, build the workload, run warm-ups, send requests on vLLM's
 * arrival schedule under an optional concurrency limit over one keep-alive pool, then compute vLLM's metrics.
 * Failed requests are counted with their errors; cancelling stops sending, aborts what is in flight and still returns
 * everything that finished.
 */
export async function runBenchmark(cfg: BenchConfig, hooks: { signal?: AbortSignal; onProgress?: (p: Progress) => void; log?: (line: string) => void } = {}): Promise<BenchRun> {
  const base = cfg.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const origin = new URL(base).origin;
  const prefixPath = new URL(base).pathname.replace(/\/$/, '');
  const limits = cfg.limits ?? DEFAULT_STREAM_LIMITS;
  // Every phase (probe, calibration, connecting, warm-ups, run) stops within a tick of cancel.
  const server = await probeServer(base, cfg.apiKey, hooks.signal);
  const model = cfg.model ?? server.models[0];
  if (!model) throw new Error(`${base}/v1/models lists no model`);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}) };
  const chat = cfg.backend === 'openai-chat';
  let reqs: readonly BenchRequest[] = cfg.requests ?? randomTokenRequests(cfg.random);
  if (chat && !cfg.requests) {
    hooks.log?.('Calibrating chat prompts to exact token lengths with the server\'s /tokenize…');
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const r = await request(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: hooks.signal });
      const j = await r.body.json();
      if (r.statusCode !== 200) throw new Error(`${path} answered HTTP ${r.statusCode}: ${JSON.stringify(j).slice(0, 200)}`);
      return j;
    };
    reqs = await calibrateChatRequests(reqs, {
      detokenize: async (ids) => ((await post('/detokenize', { model, tokens: ids })) as { prompt: string }).prompt,
      tokenize: async (text) => ((await post('/tokenize', { model, prompt: text, add_special_tokens: false })) as { count: number }).count,
    });
  }
  const thinkingFields = thinkingFieldsFor(cfg, model, chat);
  const path = `${prefixPath}${cfg.endpoint ?? (chat ? '/v1/chat/completions' : '/v1/completions')}`;
  const bodyOf = (r: BenchRequest): string =>
    JSON.stringify(
      chat
        ? { model, messages: [{ role: 'user', content: r.prompt }], max_completion_tokens: r.outputLen, stream: true, stream_options: { include_usage: true }, ...thinkingFields, ...(cfg.ignoreEos ? { ignore_eos: true } : {}), ...(cfg.temperature !== undefined ? { temperature: cfg.temperature } : {}) }
        : { model, prompt: r.prompt, max_tokens: r.outputLen, stream: true, stream_options: { include_usage: true }, ...(cfg.ignoreEos ? { ignore_eos: true } : {}), ...(cfg.temperature !== undefined ? { temperature: cfg.temperature } : {}) },
    );
  const bodies = reqs.map(bodyOf);
  // Plain http (the usual `http://gpu01:8000`): our own keep-alive HTTP/1.1 client, cheapest per chunk; https: undici.
  const url = new URL(origin);
  const raw = url.protocol === 'http:' && cfg.transport !== 'undici' ? new RawHttpPool(url.hostname, Number(url.port || 80), url.host, limits) : undefined;
  // Never more connections than file descriptors allow (EMFILE would fail requests instead of queueing them).
  const cap = connectionCap(Math.min(cfg.maxConcurrency ?? reqs.length, reqs.length));
  if (cap.cappedBy !== undefined) hooks.log?.(`Concurrency capped at ${cap.connections} connections: this process may open ${cap.cappedBy} files (ulimit -n); raise the limit for more.`);
  const pool = raw ? undefined : newPool(origin, cap.connections);
  const bodyBufs = raw ? bodies.map((b) => Buffer.from(b)) : [];
  const sem = new Semaphore(cap.cappedBy !== undefined ? cap.connections : (cfg.maxConcurrency ?? Number.MAX_SAFE_INTEGER));
  const abort = new AbortController();
  // Every request in flight listens for cancel: thousands of listeners on one signal are expected here.
  setMaxListeners(0, abort.signal);
  const onCancel = (): void => abort.abort();
  hooks.signal?.addEventListener('abort', onCancel);
  const send = async (i: number, trace: RequestTrace, id: string): Promise<void> => {
    const q0 = performance.now();
    await sem.acquire();
    trace.queueMs = performance.now() - q0;
    try {
      if (abort.signal.aborted) {
        trace.error = 'not sent (cancelled)';
        trace.cancelled = true;
        return;
      }
      if (raw) await raw.send(path, { ...headers, 'x-request-id': id }, bodyBufs[i], trace, abort.signal);
      else await sendStreaming(pool!, { path, body: bodies[i], headers: { ...headers, 'x-request-id': id }, signal: abort.signal, limits }, trace);
    } finally {
      sem.release();
    }
  };
  try {
    for (let w = 0; w < cfg.numWarmups && !abort.signal.aborted; w++) {
      const t = newTrace(-1, reqs[0].promptLen, reqs[0].outputLen);
      await send(0, t, `warmup-${w}`);
      if (abort.signal.aborted) throw new Error('Benchmark cancelled during the warm-up.');
      if (!t.success) throw new Error(`warm-up request failed: ${t.error}`);
    }
    // Open the pool's connections before the clock starts (cheap GETs), so no request's TTFT contains a TCP
    // handshake. vLLM's client opens them inside the first wave's TTFTs (peer-bench: +196 ms median at C=512).
    const conns = cap.connections;
    if (raw) await raw.preconnect(conns, `${prefixPath}/v1/models`, headers, abort.signal);
    else await Promise.all(Array.from({ length: conns }, () => pool!.request({ method: 'GET', path: `${prefixPath}/v1/models`, headers, signal: abort.signal }).then((r) => r.body.dump({ limit: 65536 }), () => undefined)));
    if (abort.signal.aborted) throw new Error('Benchmark cancelled while connecting.');
    const arrivals = arrivalTimes(reqs.length, cfg.requestRate, cfg.burstiness, cfg.random.seed);
    const traces = reqs.map((r, i) => newTrace(i, r.promptLen, r.outputLen));
    const samples: MetricsSample[] = [];
    const t0 = performance.now();
    const startedAt = new Date();
    let sent = 0;
    let done = 0;
    let failed = 0;
    let outTokens = 0;
    const progress = (): void => {
      const el = (performance.now() - t0) / 1000;
      hooks.onProgress?.({ elapsedS: el, sent, completed: done, failed, total: reqs.length, reqPerS: done / el, outTokPerS: outTokens / el, inflight: sent - done - failed });
    };
    const ticker = setInterval(progress, 500);
    let sampling = false;
    const sampler = cfg.sampleServerMetrics
      ? setInterval(() => {
          if (sampling) return;
          sampling = true;
          void request(`${base}/metrics`, { headers, signal: AbortSignal.timeout(2000) })
            .then(async (r) => samples.push(parseServerMetrics(await r.body.text(), (performance.now() - t0) / 1000)))
            .catch(() => undefined)
            .finally(() => (sampling = false));
        }, 1000)
      : undefined;
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < reqs.length; i++) {
      await sleep(t0 + arrivals[i] * 1000 - performance.now(), abort.signal);
      if (abort.signal.aborted) {
        for (let j = i; j < reqs.length; j++) {
          traces[j].error = 'not sent (cancelled)';
          traces[j].cancelled = true;
        }
        break;
      }
      sent++;
      tasks.push(
        send(i, traces[i], `${cfg.label ?? 'bench'}-${i}`).then(() => {
          if (traces[i].success) {
            done++;
            outTokens += traces[i].usageCompletionTokens ?? traces[i].chunks;
          } else if (!traces[i].cancelled) failed++;
        }),
      );
    }
    await Promise.all(tasks);
    const durationS = (performance.now() - t0) / 1000;
    clearInterval(ticker);
    if (sampler) clearInterval(sampler);
    progress();
    const metrics = calculateMetrics(traces, durationS, { percentiles: cfg.metricPercentiles, goodput: cfg.goodput, mode: cfg.mode });
    return { config: cfg, model, server, startedAt, durationS, traces, cancelled: abort.signal.aborted, metrics, serverMetrics: samples };
  } finally {
    hooks.signal?.removeEventListener('abort', onCancel);
    sem.wakeAll();
    raw?.close();
    await pool?.close().catch(() => undefined);
  }
}
