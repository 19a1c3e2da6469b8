import * as os from 'node:os';
import type { BenchRun } from './runBenchmark';
import { timingOf } from './trace';
import { METRIC_NAMES, type MetricName } from './metrics';
import { pyFixed2, pyFloatRepr, pyJson } from './pyFormat';
import type { Summary } from './stats';
import { safeFileName } from './resultFiles';

const center = (s: string, c: string, n = 50): string => {
  // Python's "{s:{c}^{n}}": the odd pad character goes to the right.
  const pad = Math.max(0, n - s.length);
  const left = Math.floor(pad / 2);
  return c.repeat(left) + s + c.repeat(pad - left);
};
const row = (label: string, v: number | string): string => `${label.padEnd(40)} ${String(v).padEnd(10)}`;
/** "{:<40} {:<10.2f}": Python's rounding (ties to even on the exact value), not toFixed's. */
const rowF = (label: string, v: number): string => row(label, pyFixed2(v));
/** serve.py: `str(int(p)) if int(p) == p else str(p)` — 99 → "99", 99.9 → "99.9". */
const pWord = (p: number): string => (Number.isInteger(p) ? String(p) : pyFloatRepr(p));

const HEADERS: Record<MetricName, [string, string]> = {
  ttft: ['Time to First Token', 'TTFT'],
  tpot: ['Time per Output Token (excl. 1st token)', 'TPOT'],
  itl: ['Inter-token Latency', 'ITL'],
  e2el: ['End-to-end Latency', 'E2EL'],
  client_queue_time: ['Client-side Queueing', 'Client Queue Time'],
  e2el_including_client_queue: ['Queue-inclusive End-to-end Latency', 'E2EL incl. Client Queue'],
};

/** What the printout needs beyond the run: whether a tokenizer "exists" (vLLM hides token rows with --skip-tokenizer-init). */
export interface PrintOptions { readonly skipTokenizerInit?: boolean }

/**
 * The "Serving Benchmark Result" block exactly as `vllm bench serve` prints it (serve.py's format strings, Python's
 * rounding), then our section: the counting mode and, for chat runs, the reasoning metrics (TTFO, thinking time,
 * reasoning/answer tokens).
 */
export function vllmPrintout(run: BenchRun, opts: PrintOptions = {}): string {
  const m = run.metrics;
  const c = run.config;
  const tok = !opts.skipTokenizerInit;
  const out = [center(' Serving Benchmark Result ', '=')];
  out.push(row('Successful requests:', m.completed), row('Failed requests:', m.failed));
  if (c.maxConcurrency !== undefined) out.push(row('Maximum request concurrency:', c.maxConcurrency));
  if (Number.isFinite(c.requestRate)) out.push(rowF('Request rate configured (RPS):', c.requestRate));
  out.push(rowF('Benchmark duration (s):', run.durationS), row('Total input tokens:', m.totalInput));
  if (tok) out.push(row('Total generated tokens:', m.totalOutput));
  out.push(rowF('Request throughput (req/s):', m.requestThroughput));
  if (m.requestGoodput !== null) out.push(rowF('Request goodput (req/s):', m.requestGoodput));
  if (tok) out.push(rowF('Output token throughput (tok/s):', m.outputThroughput), rowF('Peak output token throughput (tok/s):', m.maxOutputTokensPerS));
  out.push(rowF('Peak concurrent requests:', m.maxConcurrentRequests));
  if (tok) out.push(rowF('Total token throughput (tok/s):', m.totalTokenThroughput));
  if (run.probe) {
    out.push(center('Probe Requests', '-'), row('Probe requests completed:', run.probe.probe_completed), row('Probe requests failed:', run.probe.probe_failed));
    out.push(rowF('Median probe E2EL (ms):', run.probe.probe_median_e2el_ms), rowF('P99 probe E2EL (ms):', run.probe.probe_p99_e2el_ms), rowF('Max probe E2EL (ms):', run.probe.probe_max_e2el_ms));
  }
  for (const k of METRIC_NAMES) {
    if (!c.percentileMetrics.includes(k) || (!tok && (k === 'ttft' || k === 'tpot' || k === 'itl'))) continue;
    const s = m.summaries[k];
    if (!s) continue;
    const [header, name] = HEADERS[k];
    out.push(center(header, '-'), rowF(`Mean ${name} (ms):`, s.mean), rowF(`Median ${name} (ms):`, s.median));
    for (const [p, v] of s.percentiles) out.push(rowF(`P${pWord(p)} ${name} (ms):`, v));
  }
  out.push('='.repeat(50));
  out.push(center(' DeepSeek Deploy ', '='));
  out.push(row('Counting mode:', run.counting === 'vllm' ? 'vllm (compat)' : 'truth'));
  // The client paused between reads of a firehose (readModeration.ts): say so, with the bound on the timestamps.
  if (run.readModeration?.pauses) out.push(row('Client read pauses:', `${run.readModeration.pauses} (timestamps ≤ ${run.readModeration.maxDelayMs} ms late)`));
  const r = run.reasoning;
  if (r) {
    out.push(center('Reasoning', '-'), row('Requests with reasoning:', r.requestsWithReasoning));
    out.push(row('Total reasoning tokens:', `${r.totalReasoningTokens}${r.tokensEstimated ? ' (est.)' : ''}`), row('Total answer tokens:', `${r.totalAnswerTokens}${r.tokensEstimated ? ' (est.)' : ''}`));
    out.push(rowF('Mean TTFO (ms):', r.ttfo.mean), rowF('Median TTFO (ms):', r.ttfo.median));
    for (const [p, v] of r.ttfo.percentiles) out.push(rowF(`P${pWord(p)} TTFO (ms):`, v));
    out.push(rowF('Mean thinking time (ms):', r.thinkingTime.mean), rowF('Median thinking time (ms):', r.thinkingTime.median));
    for (const [p, v] of r.thinkingTime.percentiles) out.push(rowF(`P${pWord(p)} thinking time (ms):`, v));
  }
  const a = run.agentic;
  if (a) {
    out.push(center('Agentic sessions', '-'), row('Sessions completed:', `${a.sessions_completed} of ${a.sessions}`), rowF('Mean turns per session:', a.mean_turns_per_session), row('Tool calls made:', a.tool_calls_total));
    out.push(rowF('Mean session latency (ms):', a.session_latency_ms.mean), rowF('Median session latency (ms):', a.session_latency_ms.median));
    for (const [p, v] of a.session_latency_ms.percentiles) out.push(rowF(`P${pWord(p)} session latency (ms):`, v));
  }
  out.push('='.repeat(50));
  return out.join('\n');
}

/** SGLang bench_serving's block (mode 'sglang'): its own rows, fixed p90/p95/p99 and E2E first. */
export function sglangPrintout(run: BenchRun): string {
  const m = run.metrics;
  const c = run.config;
  const out = [center(' Serving Benchmark Result ', '=')];
  out.push(row('Backend:', c.backend === 'openai-chat' ? 'sglang-oai-chat' : 'sglang-oai'), row('Traffic request rate:', Number.isFinite(c.requestRate) ? c.requestRate : 'inf'), row('Max request concurrency:', c.maxConcurrency ?? 'not set'));
  out.push(row('Successful requests:', m.completed), rowF('Benchmark duration (s):', run.durationS), row('Total input tokens:', m.totalInput), row('Total generated tokens:', m.totalOutput));
  out.push(rowF('Request throughput (req/s):', m.requestThroughput), rowF('Input token throughput (tok/s):', m.totalInput / run.durationS), rowF('Output token throughput (tok/s):', m.outputThroughput), rowF('Peak output token throughput (tok/s):', m.maxOutputTokensPerS), rowF('Peak concurrent requests:', m.maxConcurrentRequests), rowF('Total token throughput (tok/s):', m.totalTokenThroughput), rowF('Concurrency:', m.concurrency));
  const sec = (header: string, name: string, k: 'ttft' | 'tpot' | 'itl' | 'e2el'): void => {
    const s = m.summaries[k];
    out.push(center(header, '-'), rowF(`Mean ${name} (ms):`, s.mean), rowF(`Median ${name} (ms):`, s.median));
    for (const [p, v] of s.percentiles) if ([90, 95, 99].includes(p)) out.push(rowF(`P${p} ${name} (ms):`, v));
  };
  sec('End-to-End Latency', 'E2E Latency', 'e2el');
  sec('Time to First Token', 'TTFT', 'ttft');
  sec('Time per Output Token (excl. 1st token)', 'TPOT', 'tpot');
  sec('Inter-Token Latency', 'ITL', 'itl');
  out.push('='.repeat(50));
  return out.join('\n');
}

function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export interface ResultMetadata { profile?: string; preset?: string; endpointLabel?: string }

/** What vLLM's result file takes from its arguments rather than from the run. */
export interface ResultArgs {
  /** --backend as given (vllm, openai, openai-chat). */
  readonly backend?: string;
  /** --num-prompts as given. */
  readonly numPrompts?: number;
  /** --tokenizer, or null with --skip-tokenizer-init; default the model id. */
  readonly tokenizerId?: string | null;
  /** --metadata KEY=VALUE pairs, in order. */
  readonly metadata?: readonly [string, string][];
  readonly detailed?: boolean;
  /** Options we accept and record without acting on them (tokenizer, …), and our own (thinking, compat). */
  readonly recorded?: Record<string, unknown>;
}

const summaryKeys = (r: Record<string, unknown>, name: string, s: Summary): void => {
  r[`mean_${name}_ms`] = s.mean;
  r[`median_${name}_ms`] = s.median;
  r[`std_${name}_ms`] = s.std;
  for (const [p, v] of s.percentiles) r[`p${pWord(p)}_${name}_ms`] = v;
};

/**
 * The --save-result object: vLLM's keys in vLLM's order with vLLM's JSON types (serve.py main_async + benchmark():
 * floats stay floats — write it with pyJson), `latencies`/`queue_times` always, the per-request arrays with
 * `detailed`; chat runs add the reasoning keys (mean_ttfo_ms …, total_reasoning_tokens, total_answer_tokens); then
 * `deepseek_deploy` with what vLLM's file lacks (endpoint, engine, simulator, counting mode, client).
 */
export function resultJson(run: BenchRun, meta: ResultMetadata = {}, args: ResultArgs | boolean = {}): Record<string, unknown> {
  const a: ResultArgs = typeof args === 'boolean' ? { detailed: args } : args;
  const m = run.metrics;
  const c = run.config;
  const r: Record<string, unknown> = {
    date: stamp(run.startedAt),
    endpoint_type: a.backend ?? c.backend,
    backend: a.backend ?? c.backend,
    label: c.label ?? null,
    model_id: run.model,
    tokenizer_id: a.tokenizerId === undefined ? run.model : a.tokenizerId,
    num_prompts: a.numPrompts ?? run.traces.length,
  };
  for (const [k, v] of a.metadata ?? []) r[k] = v;
  r.request_rate = Number.isFinite(c.requestRate) ? c.requestRate : 'inf';
  r.burstiness = c.burstiness;
  r.max_concurrency = c.maxConcurrency ?? null;
  if (c.rampUp) {
    r.ramp_up_strategy = c.rampUp.strategy;
    r.ramp_up_start_rps = c.rampUp.startRps;
    r.ramp_up_end_rps = c.rampUp.endRps;
  }
  const timing = run.traces.map((t) => (t.chunks ? timingOf(t, 'vllm') : undefined));
  Object.assign(r, {
    duration: run.durationS,
    completed: m.completed,
    failed: m.failed,
    total_input_tokens: m.totalInput,
    total_output_tokens: m.totalOutput,
    request_throughput: m.requestThroughput,
    request_goodput: m.requestGoodput === null ? null : m.requestGoodput,
    output_throughput: m.outputThroughput,
    total_token_throughput: m.totalTokenThroughput,
  });
  if (a.detailed) {
    r.input_lens = run.traces.map((t) => t.usagePromptTokens ?? t.promptLen);
    r.output_lens = m.outputLens;
    r.ttfts = timing.map((x) => x?.ttft ?? 0);
    r.itls = run.traces.map((t) => Array.from({ length: Math.max(0, t.chunks - 1) }, (_, i) => (t.chunkTimes[i + 1] - t.chunkTimes[i]) / 1000));
  }
  r.latencies = run.traces.map((t, i) => (t.success ? (timing[i]?.latency ?? 0) : 0));
  if (a.detailed) r.start_times = run.traces.map((t) => t.startMs / 1000);
  r.queue_times = run.traces.map((t) => (t.queueMs / 1000));
  if (a.detailed) {
    r.generated_texts = run.traces.map((t) => t.text?.answer ?? '');
    r.errors = run.traces.map((t) => (t.success ? '' : (t.error ?? '')));
  }
  r.max_output_tokens_per_s = m.maxOutputTokensPerS;
  r.max_concurrent_requests = m.maxConcurrentRequests;
  r.rtfx = 0;
  if (run.probe) Object.assign(r, run.probe);
  if (run.rpsChangeEvents?.length) r.rps_change_events = run.rpsChangeEvents;
  for (const k of METRIC_NAMES) {
    const s = m.summaries[k];
    if (c.percentileMetrics.includes(k) && s) summaryKeys(r, k, s);
  }
  const rm = run.reasoning;
  if (rm) {
    summaryKeys(r, 'ttfo', rm.ttfo);
    summaryKeys(r, 'thinking_time', rm.thinkingTime);
    r.requests_with_reasoning = rm.requestsWithReasoning;
    r.total_reasoning_tokens = rm.totalReasoningTokens;
    r.total_answer_tokens = rm.totalAnswerTokens;
    r.reasoning_tokens_estimated = rm.tokensEstimated;
  }
  r.deepseek_deploy = {
    endpoint: run.config.baseUrl,
    endpoint_label: meta.endpointLabel,
    engine: run.server.engine,
    engine_version: run.server.version ?? null,
    simulated: run.server.simulated,
    launch_profile: meta.profile ?? null,
    preset: meta.preset ?? null,
    metric_definitions: c.mode,
    counting: run.counting,
    thinking: c.thinking ?? null,
    cancelled: run.cancelled,
    errors: m.errors,
    output_len_estimated_requests: m.outputLenEstimated,
    dataset: c.agentic ? { name: 'agentic', sessions: c.agentic.sessions, turns: c.agentic.turns, user_prompt_chars: c.agentic.userPromptChars, tool_result_chars: c.agentic.toolResultChars, max_tokens_per_turn: c.agentic.maxTokensPerTurn, tool_choice: c.agentic.toolChoice } : c.requests || c.buildRequests ? { name: c.datasetName ?? 'file' } : { name: 'random', random_input_len: c.random.inputLen, random_output_len: c.random.outputLen, random_range_ratio: c.random.rangeRatio, random_prefix_len: c.random.prefixLen, seed: c.random.seed },
    ignore_eos: c.ignoreEos,
    recorded_options: a.recorded ?? {},
    reasoning_per_request: rm?.perRequest,
    ...(run.agentic ? { agentic: run.agentic } : {}),
    server_metrics: run.serverMetrics,
    client: { hostname: os.hostname(), platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? '', node: process.version, ...(run.readModeration ? { read_moderation: { pauses: run.readModeration.pauses, slept_ms: +run.readModeration.sleptMs.toFixed(3), max_added_delay_ms: run.readModeration.maxDelayMs } } : {}) },
  };
  return r;
}

/**
 * vLLM's default name (serve.py compute_result_filename): {label or backend}-{request_rate}qps[-concurrency{N}]-{model
 * basename}-{YYYYMMDD-HHMMSS}.json, the rate as Python prints a float (20.0, inf); with a ramp-up
 * {label}-ramp-up-{strategy}-{start}qps-{end}qps[-concurrency{N}]-….
 */
export function defaultResultFilename(run: BenchRun, backend?: string): string {
  const c = run.config;
  const label = c.label ?? backend ?? c.backend;
  const conc = c.maxConcurrency !== undefined ? `-concurrency${c.maxConcurrency}` : '';
  const base = run.model.split('/').pop();
  // Server-chosen model ids and user labels may hold '/', NUL, '..' or be very long: the name is made safe.
  if (c.rampUp) return safeFileName(`${label}-ramp-up-${c.rampUp.strategy}-${c.rampUp.startRps}qps-${c.rampUp.endRps}qps${conc}-${base}-${stamp(run.startedAt)}.json`);
  return safeFileName(`${label}-${pyFloatRepr(c.requestRate)}qps${conc}-${base}-${stamp(run.startedAt)}.json`);
}



const FLOAT_KEYS = new Set(['request_rate', 'burstiness', 'duration', 'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput', 'ttfts', 'itls', 'latencies', 'start_times', 'queue_times', 'max_output_tokens_per_s', 'rtfx', 'spec_decode_acceptance_rate', 'spec_decode_acceptance_length']);

/** Which result keys vLLM writes as floats (serve.py: durations, rates, per-request times, every statistic). */
export function isResultFloatKey(key: string): boolean {
  return FLOAT_KEYS.has(key) || /^(mean|median|std|p[\d.]+)_\w+_ms$/.test(key) || /^probe_.*_ms$/.test(key);
}

/** The result file's text, as vLLM's `json.dump(result_json, outfile)` writes it. */
export function resultFileText(result: Record<string, unknown>): string {
  return pyJson(result, isResultFloatKey);
}
