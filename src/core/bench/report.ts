import * as os from 'node:os';
import type { BenchRun } from './runBenchmark';
import type { MetricName } from './metrics';
import { safeFileName } from './resultFiles';

const center = (s: string, c: string, n = 50): string => {
  // Python's "{s:{c}^{n}}": the odd pad character goes to the right.
  const pad = Math.max(0, n - s.length);
  const left = Math.floor(pad / 2);
  return c.repeat(left) + s + c.repeat(pad - left);
};
const row = (label: string, v: number | string): string => `${label.padEnd(40)} ${String(v).padEnd(10)}`;
const rowF = (label: string, v: number): string => row(label, v.toFixed(2));
const pWord = (p: number): string => (Number.isInteger(p) ? String(p) : String(p));

const HEADERS: Record<MetricName, [string, string]> = {
  ttft: ['Time to First Token', 'TTFT'],
  tpot: ['Time per Output Token (excl. 1st token)', 'TPOT'],
  itl: ['Inter-token Latency', 'ITL'],
  e2el: ['End-to-end Latency', 'E2EL'],
};

/** The "Serving Benchmark Result" block exactly as `vllm bench serve` prints it (serve.py's format strings). */
export function vllmPrintout(run: BenchRun): string {
  const m = run.metrics;
  const c = run.config;
  const out = [center(' Serving Benchmark Result ', '=')];
  out.push(row('Successful requests:', m.completed), row('Failed requests:', m.failed));
  if (c.maxConcurrency !== undefined) out.push(row('Maximum request concurrency:', c.maxConcurrency));
  if (Number.isFinite(c.requestRate)) out.push(rowF('Request rate configured (RPS):', c.requestRate));
  out.push(rowF('Benchmark duration (s):', run.durationS), row('Total input tokens:', m.totalInput), row('Total generated tokens:', m.totalOutput), rowF('Request throughput (req/s):', m.requestThroughput));
  if (m.requestGoodput !== null) out.push(rowF('Request goodput (req/s):', m.requestGoodput));
  out.push(rowF('Output token throughput (tok/s):', m.outputThroughput), rowF('Peak output token throughput (tok/s):', m.maxOutputTokensPerS), rowF('Peak concurrent requests:', m.maxConcurrentRequests), rowF('Total token throughput (tok/s):', m.totalTokenThroughput));
  for (const k of ['ttft', 'tpot', 'itl', 'e2el'] as MetricName[]) {
    if (!c.percentileMetrics.includes(k)) continue;
    const [header, name] = HEADERS[k];
    const s = m.summaries[k];
    out.push(center(header, '-'), rowF(`Mean ${name} (ms):`, s.mean), rowF(`Median ${name} (ms):`, s.median));
    for (const [p, v] of s.percentiles) out.push(rowF(`P${pWord(p)} ${name} (ms):`, v));
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
  const sec = (header: string, name: string, k: MetricName): void => {
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

/**
 * The --save-result JSON: vLLM's keys (existing scripts and dashboards read them), plus `deepseek_deploy` with what
 * vLLM's file lacks: the endpoint, engine and version, whether it was our simulator, the launch profile, the client.
 */
export function resultJson(run: BenchRun, meta: ResultMetadata = {}, detailed = false): Record<string, unknown> {
  const m = run.metrics;
  const c = run.config;
  const r: Record<string, unknown> = {
    date: stamp(run.startedAt),
    endpoint_type: c.backend,
    backend: c.backend,
    label: c.label ?? null,
    model_id: run.model,
    tokenizer_id: run.model,
    num_prompts: run.traces.length,
    request_rate: Number.isFinite(c.requestRate) ? c.requestRate : 'inf',
    burstiness: c.burstiness,
    max_concurrency: c.maxConcurrency ?? null,
    duration: run.durationS,
    completed: m.completed,
    failed: m.failed,
    total_input_tokens: m.totalInput,
    total_output_tokens: m.totalOutput,
    request_throughput: m.requestThroughput,
    request_goodput: m.requestGoodput,
    output_throughput: m.outputThroughput,
    total_token_throughput: m.totalTokenThroughput,
    max_output_tokens_per_s: m.maxOutputTokensPerS,
    max_concurrent_requests: m.maxConcurrentRequests,
  };
  for (const k of c.percentileMetrics) {
    const s = m.summaries[k];
    r[`mean_${k}_ms`] = s.mean;
    r[`median_${k}_ms`] = s.median;
    r[`std_${k}_ms`] = s.std;
    for (const [p, v] of s.percentiles) r[`p${pWord(p)}_${k}_ms`] = v;
  }
  if (detailed) {
    r.input_lens = run.traces.map((t) => t.usagePromptTokens ?? t.promptLen);
    r.output_lens = run.traces.map((t) => (t.success ? (t.usageCompletionTokens ?? t.chunks) : 0));
    r.start_times = run.traces.map((t) => t.startMs / 1000);
    r.ttfts = run.traces.map((t) => (t.success && t.chunks ? (t.chunkTimes[0] - t.startMs) / 1000 : 0));
    r.itls = run.traces.map((t) => Array.from({ length: Math.max(0, t.chunks - 1) }, (_, i) => (t.chunkTimes[i + 1] - t.chunkTimes[i]) / 1000));
    r.errors = run.traces.map((t) => (t.success ? '' : (t.error ?? '')));
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
    thinking: c.thinking ?? null,
    cancelled: run.cancelled,
    errors: m.errors,
    output_len_estimated_requests: m.outputLenEstimated,
    dataset: c.requests ? { name: 'file' } : { name: 'random', random_input_len: c.random.inputLen, random_output_len: c.random.outputLen, random_range_ratio: c.random.rangeRatio, random_prefix_len: c.random.prefixLen, seed: c.random.seed },
    ignore_eos: c.ignoreEos,
    server_metrics: run.serverMetrics,
    client: { hostname: os.hostname(), platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? '', node: process.version },
  };
  return r;
}

/** vLLM's default name: {label or backend}-{rate}qps[-concurrency{N}]-{model basename}-{YYYYMMDD-HHMMSS}.json */
export function defaultResultFilename(run: BenchRun): string {
  const c = run.config;
  const rate = Number.isFinite(c.requestRate) ? String(c.requestRate) : 'inf';
  return safeFileName(`${c.label ?? c.backend}-${rate}qps${c.maxConcurrency !== undefined ? `-concurrency${c.maxConcurrency}` : ''}-${run.model.split('/').pop()}-${stamp(run.startedAt)}.json`);
}
