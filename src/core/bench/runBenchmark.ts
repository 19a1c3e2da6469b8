import { setMaxListeners } from 'node:events';
import { httpErrorText, httpRequest } from '../openai/httpRequest';
import { arrivalSchedule, type RampUp } from './arrivals';
import { PythonRandom, type LegacyRandomState } from './numpyRandom';
import type { ServerTokenizer } from './fileDatasets';
import { reasoningMetrics, type ReasoningCount, type ReasoningMetrics } from './reasoningMetrics';
import { median, percentile } from './stats';
import { pyFloatRepr } from './pyFormat';
import { mapLimit } from '../util/mapLimit';
import { calculateMetrics, type BenchmarkMetrics, type Goodput, type MetricName } from './metrics';
import { parseServerMetrics, probeServer, type MetricsSample, type ServerInfo } from './serverInfo';
import { newPool, preconnectPool, sendStreaming } from './streamClient';
import { rawPoolFor, warmUpRawClient } from './rawHttpClient';
import { readModeration } from './readModeration';
import { keepText, newTrace, timingOf, type RequestTrace } from './trace';
import { connectionCap } from './connectError';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from '../openai/streamLimits';
import { readCappedBody } from '../openai/cappedBody';
import { calibrateChatRequests, randomDraws, randomTokenRequests, type BenchRequest, type RandomWorkload } from './workload';
import { normalizeBaseUrl } from '../openai/baseUrl';
import { findModel } from '../plan/catalog';
import { thinkingRequestFields, type ThinkingLevel } from '../chat/thinkingControl';
import { runAgenticSessions, type AgenticSpec, type AgenticStats } from './agenticBench';

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
  /** undici instead of our raw HTTP/1.1 client (the default, for http and https). */
  readonly transport?: 'raw' | 'undici';
  /** SSE event cap and stream deadlines (defaults: 16 MiB, 600 s first data, 120 s between data). */
  readonly limits?: StreamLimits;
  /** x-request-id = prefix + index (vLLM `--request-id-prefix`, default `bench-<8 hex>-`). */
  readonly requestIdPrefix?: string;
  /**
   * 'truth' (default): a stream carrying `{"error": …}` fails its request; connections are opened before the clock.
   * 'vllm': `vllm bench serve`'s figures, flaws included — such partial answers count as successes with their length
   * re-counted by the server's /tokenize, and connections open lazily so set-up lands inside the first TTFTs.
   */
  readonly counting?: 'truth' | 'vllm';
  readonly rampUp?: RampUp;
  /** Merged into every body (vLLM: sampling params, then --extra-body). */
  readonly extraBody?: Record<string, unknown>;
  /** --header KEY=VALUE pairs (sent on every request; x-request-id wins). */
  readonly headers?: Record<string, string>;
  /** The `model` sent in bodies (vLLM --served-model-name), when it differs from the id. */
  readonly servedModelName?: string;
  /** Completions `logprobs` (vLLM always sends the key, null by default). */
  readonly logprobs?: number | null;
  readonly loraModules?: readonly string[];
  readonly loraAssignment?: 'random' | 'round-robin';
  /** > 0: retry request 0 until it succeeds or this many seconds pass, before anything else (vLLM's ready check). */
  readonly readyCheckTimeoutSec?: number;
  /** > 0: single-token "Hi" probes at this rate beside the workload, outside the concurrency limit. */
  readonly probeRequestRate?: number;
  /** POST /start_profile before and /stop_profile after the run. */
  readonly profile?: boolean;
  /** Keep each request's text (vLLM's generated_texts for --save-detailed). Chat runs always keep it. */
  readonly keepText?: boolean;
  /** Skip TLS certificate checks (vLLM --insecure). */
  readonly insecure?: boolean;
  /** A dataset built once the model is known, with the server's tokenizer (file datasets); replaces `random`. */
  readonly buildRequests?: (ctx: { model: string; tokenizer: ServerTokenizer }) => Promise<readonly BenchRequest[]>;
  /** Dataset name for the result's deepseek_deploy block. */
  readonly datasetName?: string;
  /** numpy's global RandomState as the dataset left it (prefix_repetition draws from it before the arrivals). */
  readonly arrivalRandom?: LegacyRandomState;
  /**
   * The model's thinking mode for every chat request (off / on / high / max), sent explicitly as the chat control does
   * (thinkingRequestFields: engines default differently) and recorded in the result; undefined sends nothing.
   */
  readonly thinking?: ThinkingLevel;
  /** An agentic multi-turn run with tool calls on /v1/chat/completions (agenticBench.ts); replaces the dataset. */
  readonly agentic?: AgenticSpec;
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
  /** Chat runs: TTFO, thinking time and reasoning/answer tokens. */
  readonly reasoning?: ReasoningMetrics;
  readonly probe?: ProbeStats;
  /** Ramp-up: each integer RPS reached and when (vLLM's rps_change_events). */
  readonly rpsChangeEvents?: { rps: number; timestamp: string }[];
  readonly counting: 'truth' | 'vllm';
  /** Agentic runs: sessions, turns, tool calls, session latency. */
  readonly agentic?: AgenticStats;
  /** Read moderation during the run phase (readModeration.ts): pauses taken, ms slept, most a timestamp moved (ms: the longest pause measured). */
  readonly readModeration?: { pauses: number; sleptMs: number; maxDelayMs: number };
}

/** The phases of a run, in order, as `hooks.onPhase` reports them ('done': the last request ended, before metrics). */
export type BenchPhase = 'probe' | 'calibrate' | 'warmup' | 'connect' | 'run' | 'done';
/** vLLM's probe_* result keys (ms). */
export interface ProbeStats { probe_completed: number; probe_failed: number; probe_median_e2el_ms: number; probe_p99_e2el_ms: number; probe_max_e2el_ms: number }

/** A counting semaphore with a FIFO of waiters (head index, not Array#shift: O(1) per release at any queue length). */
class Semaphore {
  private waiters: (() => void)[] = [];
  private head = 0;
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    if (this.head < this.waiters.length) {
      const w = this.waiters[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      w();
    } else this.free++;
  }
  wakeAll(): void {
    const ws = this.waiters.slice(this.head);
    this.waiters = [];
    this.head = 0;
    for (const w of ws) w();
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
  // A model the catalog does not know: both template switches in use (DeepSeek's `thinking`, Qwen-style
  // `enable_thinking`; templates ignore the other), and the effort level as OpenAI's reasoning_effort.
  const on = cfg.thinking !== 'off';
  return { chat_template_kwargs: { thinking: on, enable_thinking: on }, ...(cfg.thinking === 'high' || cfg.thinking === 'max' ? { reasoning_effort: cfg.thinking } : {}) };
}

/**
 * `vllm bench serve` in TypeScript: resolve the model, build the workload, run warm-ups, send requests on vLLM's
 * arrival schedule under an optional concurrency limit over one keep-alive pool, then compute vLLM's metrics.
 * Failed requests are counted with their errors; cancelling stops sending, aborts what is in flight and still returns
 * everything that finished.
 */
/** `log` gets the lines `vllm bench serve` prints (same words, same order); `note` gets ours. */
export async function runBenchmark(cfg: BenchConfig, hooks: { signal?: AbortSignal; onProgress?: (p: Progress) => void; log?: (line: string) => void; note?: (line: string) => void; onPhase?: (phase: BenchPhase) => void } = {}): Promise<BenchRun> {
  const base = normalizeBaseUrl(cfg.baseUrl);
  const origin = new URL(base).origin;
  const prefixPath = new URL(base).pathname.replace(/\/$/, '');
  const limits = cfg.limits ?? DEFAULT_STREAM_LIMITS;
  const counting = cfg.counting ?? 'truth';
  // Every phase (probe, calibration, connecting, warm-ups, run) stops within a tick of cancel.
  hooks.onPhase?.('probe');
  const server = await probeServer(base, cfg.apiKey, hooks.signal, cfg.insecure);
  const model = cfg.model ?? server.models[0];
  if (!model) throw new Error(`No models found on the server at ${base}. Make sure the server is running and has models loaded.`);
  if (!cfg.model) hooks.log?.(`First model name: ${model}, first model id: ${server.roots?.[0] ?? model}`);
  const modelName = cfg.servedModelName ?? model;
  // The client's parsing path is compiled now, long before the clock (no network; see warmUpRawClient), in both
  // counting modes: V8's compile work is the client's, and would otherwise run during the first second of the run on
  // the cores the server under test uses. Before the workload exists, so its transient memory is not stacked on it.
  // The undici client shares the SSE reader and the scan.
  if (!hooks.signal?.aborted) warmUpRawClient(limits);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}), ...(cfg.headers ?? {}) };
  const chat = cfg.backend === 'openai-chat';
  const idPrefix = cfg.requestIdPrefix ?? `${cfg.label ?? 'bench'}-`;
  if (cfg.agentic) {
    // Dependent requests (each turn sends the previous answer back): their own loop, on the same probe and fields.
    const agentic = cfg.agentic;
    return runAgenticSessions({ cfg: { ...cfg, agentic }, base, path: `${prefixPath}${cfg.endpoint ?? '/v1/chat/completions'}`, model, modelName, server, headers, thinkingFields: thinkingFieldsFor(cfg, model, true), limits, prefix: idPrefix }, hooks);
  }
  // /tokenize and /detokenize (prompt calibration, file datasets): each call ends within 300 s (undici's header and
  // body timeouts, which these calls had before they moved to node:http), so a stalled server cannot hang the run.
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const timeout = AbortSignal.timeout(300_000);
    const failed = (e: unknown): Error =>
      hooks.signal?.aborted ? new Error('Benchmark cancelled during prompt calibration.') : new Error(`${base}${path}: ${timeout.aborted ? 'no complete answer in 300 s' : httpErrorText(e)}`, { cause: e });
    const r = await httpRequest(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: hooks.signal ? AbortSignal.any([hooks.signal, timeout]) : timeout, insecure: cfg.insecure }).catch((e: unknown) => {
      throw failed(e);
    });
    // A token list is a few hundred KiB at most: a hostile server's endless answer is cut at 64 MiB.
    const { text } = await readCappedBody(r.body, 64 * 1024 * 1024).catch((e: unknown) => {
      throw failed(e);
    });
    if (r.statusCode !== 200) throw new Error(`${path} answered HTTP ${r.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  };
  const tokenizer: ServerTokenizer = {
    tokenize: async (text, add) => ((await post('/tokenize', { model, prompt: text, add_special_tokens: add })) as { tokens: number[] }).tokens,
    tokenizeChat: async (content) => ((await post('/tokenize', { model, messages: [{ role: 'user', content }], add_generation_prompt: true })) as { tokens: number[] }).tokens,
  };
  let reqs: readonly BenchRequest[] = cfg.requests ?? (cfg.buildRequests ? await cfg.buildRequests({ model, tokenizer }) : randomTokenRequests(cfg.random));
  if (chat && !cfg.requests && !cfg.buildRequests) {
    hooks.onPhase?.('calibrate');
    hooks.note?.('Calibrating chat prompts to exact token lengths with the server\'s /tokenize…');
    // The same draws, without the BOS id: the chat template adds its own.
    const draws = randomDraws(cfg.random).map((d) => ({ prompt: d.ids, promptLen: d.ids.length, outputLen: d.outputLen }));
    reqs = await calibrateChatRequests(draws, {
      detokenize: async (ids) => ((await post('/detokenize', { model, tokens: ids })) as { prompt: string }).prompt,
      tokenize: async (text) => ((await post('/tokenize', { model, prompt: text, add_special_tokens: false })) as { count: number }).count,
    });
  }
  if (reqs.length === 0) throw new Error('No requests provided.');
  const thinkingFields = thinkingFieldsFor(cfg, model, chat);
  const path = `${prefixPath}${cfg.endpoint ?? (chat ? '/v1/chat/completions' : '/v1/completions')}`;
  // LoRA adapters as the request's model (serve.py: round-robin, or random.choice after random.seed(--seed)).
  const pyRand = new PythonRandom(cfg.random.seed);
  const loras = cfg.loraModules?.length ? reqs.map((_, i) => (cfg.loraAssignment === 'round-robin' ? cfg.loraModules![i % cfg.loraModules!.length] : pyRand.choice(cfg.loraModules!))) : undefined;
  const extra = { ...(cfg.temperature !== undefined ? { temperature: cfg.temperature } : {}), ...(cfg.extraBody ?? {}) };
  // vLLM's bodies, key for key (endpoint_request_func.py): completions always carry repetition_penalty and logprobs.
  const bodyOf = (r: BenchRequest, m: string): string =>
    JSON.stringify(
      chat
        ? { model: m, messages: [{ role: 'user', content: typeof r.prompt === 'string' ? [{ type: 'text', text: r.prompt }] : r.prompt }], max_completion_tokens: r.outputLen, stream: true, stream_options: { include_usage: true }, ...thinkingFields, ...(cfg.ignoreEos ? { ignore_eos: true } : {}), ...extra }
        : { model: m, prompt: r.prompt, repetition_penalty: 1.0, max_tokens: r.outputLen, logprobs: cfg.logprobs ?? null, stream: true, stream_options: { include_usage: true }, ...(cfg.ignoreEos ? { ignore_eos: true } : {}), ...extra },
    );
  // Bodies are built when their request may go (after the concurrency limit): a 100k-prompt run starts at once and
  // holds only the bodies in flight. Request 0's is kept: the ready check and the warm-ups send it again and again.
  let body0: string | undefined;
  const bodyAt = (i: number): string => (i === 0 ? (body0 ??= bodyOf(reqs[0], loras ? loras[0] : modelName)) : bodyOf(reqs[i], loras ? loras[i] : modelName));
  // http and https: our own keep-alive HTTP/1.1 client, cheapest per chunk (TLS through node:tls); undici on request.
  const raw = cfg.transport !== 'undici' ? rawPoolFor(origin, limits, cfg.insecure) : undefined;
  // Never more connections than file descriptors allow (EMFILE would fail requests instead of queueing them).
  const cap = connectionCap(Math.min(cfg.maxConcurrency ?? reqs.length, reqs.length));
  if (cap.cappedBy !== undefined) hooks.note?.(`Concurrency capped at ${cap.connections} connections: this process may open ${cap.cappedBy} files (ulimit -n); raise the limit for more.`);
  const pool = raw ? undefined : newPool(origin, cap.connections, cfg.insecure);
  const sem = new Semaphore(cap.cappedBy !== undefined ? cap.connections : (cfg.maxConcurrency ?? Number.MAX_SAFE_INTEGER));
  const abort = new AbortController();
  // Every request in flight listens for cancel: thousands of listeners on one signal are expected here.
  setMaxListeners(0, abort.signal);
  const onCancel = (): void => abort.abort();
  hooks.signal?.addEventListener('abort', onCancel);
  const prefix = idPrefix;
  // Chat runs keep text (reasoning split, TTFO); --compat vllm keeps it to re-count partial answers.
  const wantText = chat || cfg.keepText || counting === 'vllm';
  const splitThink = chat && /r1|reasoner|think/i.test(model);
  const traceFor = (i: number, r: BenchRequest): RequestTrace => {
    const t = newTrace(i, r.promptLen, r.outputLen);
    if (wantText) keepText(t, splitThink);
    return t;
  };
  /** `limited`: wait for the concurrency limit here; 'held': the caller holds a slot already (and set queueMs). */
  const sendBody = async (bodyOrIndex: string | number, trace: RequestTrace, id: string, limited: boolean | 'held'): Promise<void> => {
    if (limited === true) {
      const q0 = performance.now();
      await sem.acquire();
      trace.queueMs = performance.now() - q0;
    }
    try {
      if (abort.signal.aborted) {
        trace.error = 'not sent (cancelled)';
        trace.cancelled = true;
        return;
      }
      const body = typeof bodyOrIndex === 'number' ? bodyAt(bodyOrIndex) : bodyOrIndex;
      if (raw) await raw.send(path, { ...headers, 'x-request-id': id }, Buffer.from(body), trace, abort.signal);
      else await sendStreaming(pool!, { path, body, headers: { ...headers, 'x-request-id': id }, signal: abort.signal, limits }, trace);
    } finally {
      if (limited) sem.release();
    }
  };
  const send = (i: number, trace: RequestTrace, id: string): Promise<void> => sendBody(i, trace, id, true);
  try {
    hooks.log?.('Starting initial single prompt test run...');
    if ((cfg.readyCheckTimeoutSec ?? 0) > 0) {
      const until = performance.now() + cfg.readyCheckTimeoutSec! * 1000;
      let t = traceFor(-1, reqs[0]);
      for (;;) {
        await send(0, t, `${prefix}ready`);
        if (t.success || performance.now() >= until || abort.signal.aborted) break;
        await sleep(Math.min(5000, until - performance.now()), abort.signal);
        t = traceFor(-1, reqs[0]);
      }
      if (!t.success) throw new Error(`Initial test run failed - Please make sure benchmark arguments are correctly specified. Error: ${t.error}`);
      hooks.log?.('Initial test run completed.');
    } else hooks.log?.('Skipping endpoint ready check.');
    if (cfg.numWarmups > 0 && !abort.signal.aborted) {
      hooks.onPhase?.('warmup');
      // serve.py: num_warmups copies of request 0 at once, under the same concurrency limit; their results are dropped.
      hooks.log?.(`Warming up with ${cfg.numWarmups} requests...`);
      await Promise.all(Array.from({ length: cfg.numWarmups }, (_, w) => send(0, traceFor(-1, reqs[0]), `warmup-${w}`)));
      if (abort.signal.aborted) throw new Error('Benchmark cancelled during the warm-up.');
      hooks.log?.('Warmup run completed.');
    }
    hooks.log?.('Starting main benchmark run...');
    if (cfg.profile) {
      hooks.log?.('Starting profiler...');
      if (await post('/start_profile', {}).then(() => true, () => false)) hooks.log?.('Profiler started');
    }
    if (cfg.rampUp) {
      hooks.log?.(`Traffic ramp-up strategy: ${cfg.rampUp.strategy}.`);
      hooks.log?.(`Will increase RPS from ${cfg.rampUp.startRps} to ${cfg.rampUp.endRps} RPS over the duration of the benchmark.`);
    } else hooks.log?.(`Traffic request rate: ${pyFloatRepr(cfg.requestRate)}`);
    hooks.log?.(`Burstiness factor: ${pyFloatRepr(cfg.burstiness)} (${cfg.burstiness === 1 ? 'Poisson process' : 'Gamma distribution'})`);
    hooks.log?.(`Maximum request concurrency: ${cfg.maxConcurrency ?? 'None'}`);
    if ((cfg.probeRequestRate ?? 0) > 0) hooks.log?.(`Probe request rate: ${pyFloatRepr(cfg.probeRequestRate!)} req/s`);
    // Truth: open the pool's connections before the clock starts (cheap GETs), so no request's TTFT contains a TCP
    // handshake. vLLM's client opens them inside the first wave's TTFTs (peer-bench: +196 ms median at C=512).
    hooks.onPhase?.('connect');
    if (counting === 'truth') {
      const conns = cap.connections;
      if (raw) await raw.preconnect(conns, `${prefixPath}/v1/models`, headers, abort.signal);
      else await preconnectPool(pool!, conns, `${prefixPath}/v1/models`, headers, abort.signal);
    }
    if (abort.signal.aborted) throw new Error('Benchmark cancelled while connecting.');
    const schedule = arrivalSchedule(reqs.length, cfg.requestRate, cfg.burstiness, cfg.random.seed, cfg.rampUp, cfg.arrivalRandom);
    const traces = reqs.map((r, i) => traceFor(i, r));
    const samples: MetricsSample[] = [];
    const rpsChangeEvents: { rps: number; timestamp: string }[] = [];
    let lastIntRps = -1;
    if (cfg.rampUp) {
      lastIntRps = cfg.rampUp.startRps;
      rpsChangeEvents.push({ rps: lastIntRps, timestamp: isoNow() });
    }
    const probeTraces: RequestTrace[] = [];
    let probing = (cfg.probeRequestRate ?? 0) > 0;
    const probeBody = bodyOf({ prompt: 'Hi', promptLen: 1, outputLen: 1 }, modelName);
    const probeLoop = async (): Promise<void> => {
      for (let k = 0; probing && !abort.signal.aborted; k++) {
        const t = newTrace(-2, 1, 1);
        await sendBody(probeBody, t, `${prefix}probe-${k}`, false);
        probeTraces.push(t);
        await sleep(1000 / cfg.probeRequestRate!, abort.signal);
      }
    };
    const probeTask = probing ? probeLoop() : undefined;
    hooks.onPhase?.('run');
    const moderation0 = { pauses: readModeration.pauses, sleptMs: readModeration.sleptMs };
    readModeration.longestPauseMs = 0;
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
          // A Prometheus page is tens of KiB (hundreds with many LoRA or DP label sets): at most 4 MiB read.
          void httpRequest(`${base}/metrics`, { headers, signal: AbortSignal.timeout(2000), insecure: cfg.insecure })
            .then(async (r) => samples.push(parseServerMetrics((await readCappedBody(r.body, 4 * 1024 * 1024)).text, (performance.now() - t0) / 1000)))
            .catch(() => undefined)
            .finally(() => (sampling = false));
        }, 1000)
      : undefined;
    const tasks: Promise<void>[] = [];
    let slotFreedAt = 0;
    for (let i = 0; i < reqs.length; i++) {
      const arrival = t0 + schedule.delays[i] * 1000;
      if (schedule.delays[i] > 0) await sleep(arrival - performance.now(), abort.signal);
      // The slot is taken here, in arrival order, before the request's task exists: with 100k prompts at an infinite
      // rate only the requests in flight hold memory (vLLM creates every task at once). Queue time counts from the
      // request's arrival, as when each task waited for its own slot.
      if (!abort.signal.aborted) {
        // Arrived while the loop was still waiting for an earlier slot: queued since its arrival. Otherwise since now
        // (a late timer is not queue time, as in vLLM where the task starts after its sleep).
        const q0 = slotFreedAt > arrival ? arrival : performance.now();
        await sem.acquire();
        slotFreedAt = performance.now();
        traces[i].queueMs = slotFreedAt - q0;
        if (abort.signal.aborted) sem.release();
      }
      if (abort.signal.aborted) {
        for (let j = i; j < reqs.length; j++) {
          traces[j].error = 'not sent (cancelled)';
          traces[j].cancelled = true;
        }
        break;
      }
      if (cfg.rampUp) {
        const cur = Math.trunc(schedule.rates[i]);
        if (cur > lastIntRps) {
          const ts = isoNow();
          for (let r = lastIntRps + 1; r <= cur; r++) rpsChangeEvents.push({ rps: r, timestamp: ts });
          lastIntRps = cur;
        }
      }
      sent++;
      tasks.push(
        sendBody(i, traces[i], `${prefix}${i}`, 'held').then(() => {
          if (traces[i].success) {
            done++;
            outTokens += traces[i].usageCompletionTokens ?? traces[i].chunks;
          } else if (!traces[i].cancelled) failed++;
        }),
      );
    }
    await Promise.all(tasks);
    probing = false;
    await probeTask;
    hooks.onPhase?.('done');
    const durationS = (performance.now() - t0) / 1000;
    const moderated = { pauses: readModeration.pauses - moderation0.pauses, sleptMs: readModeration.sleptMs - moderation0.sleptMs, maxDelayMs: +readModeration.longestPauseMs.toFixed(3) };
    clearInterval(ticker);
    if (sampler) clearInterval(sampler);
    progress();
    if (cfg.profile) {
      hooks.log?.('Stopping profiler...');
      if (await post('/stop_profile', {}).then(() => true, () => false)) hooks.log?.('Profiler stopped');
    }
    const countTokens = async (text: string): Promise<number> => ((await post('/tokenize', { model, prompt: text, add_special_tokens: false })) as { count: number }).count;
    // --compat vllm: a stream that reported an error after some tokens is a success to vLLM's client.
    const overrides = new Map<number, number>();
    if (counting === 'vllm') {
      for (const t of traces) {
        if (!t.success && t.streamError !== undefined && t.error === t.streamError && t.chunks > 0) {
          t.success = true;
          t.error = undefined;
        }
      }
      // vLLM re-tokenizes generated_text (the answer, not the reasoning) when usage gave no completion_tokens.
      await mapLimit(traces.filter((t) => t.success && !t.usageCompletionTokens), 16, async (t) => {
        overrides.set(t.index, await countTokens(t.text?.answer ?? '').catch(() => t.chunks));
      });
    }
    const metrics = calculateMetrics(traces, durationS, { percentiles: cfg.metricPercentiles, goodput: cfg.goodput, mode: cfg.mode, maxConcurrency: cfg.maxConcurrency, requestRate: cfg.rampUp ? Infinity : cfg.requestRate, outputLenOverride: overrides });
    let reasoning: ReasoningMetrics | undefined;
    if (chat) {
      const counts = new Map<number, ReasoningCount>();
      await mapLimit(traces.filter((t) => t.success && t.text), 16, async (t) => {
        const x = t.text!;
        const completion = overrides.get(t.index) ?? t.usageCompletionTokens;
        if (x.usageReasoningTokens !== undefined && completion !== undefined) counts.set(t.index, { reasoning: x.usageReasoningTokens, answer: completion - x.usageReasoningTokens, source: 'usage' });
        else {
          try {
            counts.set(t.index, { reasoning: x.reasoning ? await countTokens(x.reasoning) : 0, answer: x.answer ? await countTokens(x.answer) : 0, source: 'tokenize' });
          } catch {
            /* no /tokenize: chunk counts (reasoningMetrics' fallback) */
          }
        }
      });
      reasoning = reasoningMetrics(traces, counts, cfg.metricPercentiles);
    }
    let probe: ProbeStats | undefined;
    const probeLats = probeTraces.filter((t) => t.success).map((t) => timingOf(t, 'vllm')?.latency ?? 0);
    if (probeLats.length) probe = { probe_completed: probeLats.length, probe_failed: probeTraces.length - probeLats.length, probe_median_e2el_ms: median(probeLats) * 1000, probe_p99_e2el_ms: percentile(probeLats, 99) * 1000, probe_max_e2el_ms: Math.max(...probeLats) * 1000 };
    return { config: cfg, model, server, startedAt, durationS, traces, cancelled: abort.signal.aborted, metrics, serverMetrics: samples, reasoning, probe, rpsChangeEvents: cfg.rampUp ? rpsChangeEvents : undefined, counting, readModeration: moderated };
  } finally {
    hooks.signal?.removeEventListener('abort', onCancel);
    sem.wakeAll();
    raw?.close();
    await pool?.close().catch(() => undefined);
  }
}

/** Python's datetime.now().isoformat() (local time, microseconds). */
function isoNow(): string {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}
