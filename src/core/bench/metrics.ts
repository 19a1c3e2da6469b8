import { summarize, type Summary } from './stats';
import { counts, timingOf, type RequestTrace } from './trace';

/** vLLM's --percentile-metrics names, in the order serve.py prints and saves them. */
export const METRIC_NAMES = ['ttft', 'tpot', 'itl', 'e2el', 'client_queue_time', 'e2el_including_client_queue'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Goodput = Partial<Record<'ttft' | 'tpot' | 'e2el', number>>;

export interface BenchmarkMetrics {
  completed: number;
  failed: number;
  /** Requests cancelled by the user, in flight or never sent: not failures, not in `errors`. */
  cancelled: number;
  totalInput: number;
  totalOutput: number;
  requestThroughput: number;
  requestGoodput: number | null;
  outputThroughput: number;
  totalTokenThroughput: number;
  maxOutputTokensPerS: number;
  maxConcurrentRequests: number;
  /** SGLang's "Concurrency": sum of E2E latencies / duration. */
  concurrency: number;
  /** Requests without usage.completion_tokens (vLLM mode counted their text chunks instead). */
  outputLenEstimated: number;
  /** client_queue_time / e2el_including_client_queue only where vLLM computes them (see calculateMetrics). */
  summaries: Partial<Record<MetricName, Summary>> & Record<'ttft' | 'tpot' | 'itl' | 'e2el', Summary>;
  errors: Record<string, number>;
  /** Per request, in order (vLLM's actual_output_lens: 0 for a failed request). */
  outputLens: number[];
}

/**
 * vLLM's calculate_metrics (serve.py), or SGLang's bench_serving definitions with mode 'sglang'. Only successful
 * requests enter TTFT/TPOT/ITL/E2EL and token totals; TPOT needs output_len > 1 (and counts as 0 for goodput
 * otherwise); ITL samples from all requests are flattened; throughputs divide by the whole benchmark duration.
 */
export function calculateMetrics(traces: readonly RequestTrace[], durationS: number, opts: { percentiles: readonly number[]; goodput?: Goodput; mode?: 'vllm' | 'sglang'; maxConcurrency?: number; requestRate?: number; outputLenOverride?: ReadonlyMap<number, number> }): BenchmarkMetrics {
  const mode = opts.mode ?? 'vllm';
  const ttfts: number[] = [];
  const tpots: number[] = [];
  const allTpots: number[] = [];
  const e2els: number[] = [];
  const errors: Record<string, number> = {};
  const spans: [number, number][] = [];
  // Typed arrays sized for every chunk: a long run has millions of ITL samples and no object per sample.
  let totalChunks = 0;
  for (const t of traces) totalChunks += t.chunks;
  const itls = new Float64Array(totalChunks);
  const tokenTimes = new Float64Array(totalChunks);
  let nItl = 0;
  let nTok = 0;
  let completed = 0;
  let cancelled = 0;
  let totalInput = 0;
  let totalOutput = 0;
  let estimated = 0;
  const outputLens: number[] = [];
  const queueTimes: number[] = [];
  const e2elsInclQueue: number[] = [];
  for (const t of traces) {
    const timing = t.success ? timingOf(t, mode) : undefined;
    if (!timing && t.cancelled) {
      cancelled++;
      continue;
    }
    if (!timing) {
      const e = t.error ?? 'Never received a valid chunk to calculate TTFT.';
      errors[e] = (errors[e] ?? 0) + 1;
      outputLens.push(0);
      continue;
    }
    completed++;
    const override = opts.outputLenOverride?.get(t.index);
    if (override !== undefined) timing.outputLen = override;
    else if (mode === 'vllm' && !t.usageCompletionTokens) estimated++;
    outputLens.push(timing.outputLen);
    queueTimes.push(t.queueMs / 1000);
    e2elsInclQueue.push(timing.latency + t.queueMs / 1000);
    totalOutput += timing.outputLen;
    totalInput += t.usagePromptTokens ?? t.promptLen;
    let tpot = 0;
    if (timing.outputLen > 1) {
      tpot = (timing.latency - timing.ttft) / (timing.outputLen - 1);
      tpots.push(tpot);
    }
    allTpots.push(tpot);
    // vLLM rebuilds token times as start + ttft + cumsum(itl): the receive times themselves.
    let prev = -1;
    for (let i = 0; i < t.chunks; i++) {
      if (!counts(t, i, mode)) continue;
      const ms = t.chunkTimes[i];
      if (prev >= 0) itls[nItl++] = (ms - prev) / 1000;
      tokenTimes[nTok++] = ms / 1000;
      prev = ms;
    }
    ttfts.push(timing.ttft);
    e2els.push(timing.latency);
    const start = t.startMs / 1000;
    spans.push([start, start + timing.latency]);
  }
  let good: number | null = null;
  if (opts.goodput && Object.keys(opts.goodput).length) {
    good = 0;
    for (let i = 0; i < ttfts.length; i++) {
      const ok = (opts.goodput.ttft === undefined || opts.goodput.ttft / 1000 >= ttfts[i]) && (opts.goodput.tpot === undefined || opts.goodput.tpot / 1000 >= allTpots[i]) && (opts.goodput.e2el === undefined || opts.goodput.e2el / 1000 >= e2els[i]);
      if (ok) good++;
    }
  }
  const ms = (xs: ArrayLike<number>): Summary => {
    const s = summarize(xs, opts.percentiles);
    return { mean: s.mean * 1000, median: s.median * 1000, std: s.std * 1000, percentiles: s.percentiles.map(([p, v]) => [p, v * 1000]) };
  };
  return {
    completed,
    failed: traces.length - completed - cancelled,
    cancelled,
    totalInput,
    totalOutput,
    requestThroughput: completed / durationS,
    requestGoodput: good === null ? null : good / durationS,
    outputThroughput: totalOutput / durationS,
    totalTokenThroughput: (totalInput + totalOutput) / durationS,
    maxOutputTokensPerS: peakPerSecond(tokenTimes.subarray(0, nTok), spans),
    maxConcurrentRequests: peakConcurrency(spans),
    concurrency: e2els.reduce((a, b) => a + b, 0) / durationS,
    outputLenEstimated: estimated,
    summaries: {
      ttft: ms(ttfts),
      tpot: ms(tpots),
      itl: ms(itls.subarray(0, nItl)),
      e2el: ms(e2els),
      // serve.py: queue times only under --max-concurrency, the queue-inclusive E2EL only with a finite rate too.
      ...(opts.maxConcurrency !== undefined ? { client_queue_time: ms(queueTimes) } : {}),
      ...(opts.maxConcurrency !== undefined && Number.isFinite(opts.requestRate ?? Infinity) ? { e2el_including_client_queue: ms(e2elsInclQueue) } : {}),
    },
    errors,
    outputLens,
  };
}

/** Token chunks per one-second bucket from the earliest request start; the fullest bucket (vLLM's peak tok/s). */
function peakPerSecond(tokenTimes: Float64Array, spans: [number, number][]): number {
  if (spans.length === 0) return 0;
  let min = Infinity;
  let max = -Infinity;
  for (const [s, e] of spans) {
    min = Math.min(min, s);
    max = Math.max(max, e);
  }
  const buckets = new Float64Array(Math.ceil(max - min) + 1);
  for (const t of tokenTimes) {
    const b = Math.floor(t - min);
    if (b >= 0 && b < buckets.length) buckets[b]++;
  }
  return buckets.reduce((a, b) => Math.max(a, b), 0);
}

/** Exact sweep over [start, end): ends sort before starts at the same instant. */
function peakConcurrency(spans: [number, number][]): number {
  const ev: [number, number][] = [];
  for (const [s, e] of spans) ev.push([s, 1], [e, -1]);
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let peak = 0;
  for (const [, d] of ev) {
    cur += d;
    peak = Math.max(peak, cur);
  }
  return peak;
}
