import { mean, percentileOfSorted, std } from '../bench/stats';
import type { Slo, SloCheck } from './tuneResult';

/** Per-request samples of one load point (ms), pooled over its repeats. ITL holds every gap between tokens. */
export interface PointSamples {
  ttft: number[];
  tpot: number[];
  itl: number[];
  e2el: number[];
  /** Time to first answer token (after the reasoning), for requests that answered. */
  ttfo: number[];
  failed: number;
}

export const emptySamples = (): PointSamples => ({ ttft: [], tpot: [], itl: [], e2el: [], ttfo: [], failed: 0 });

export function addSamples(into: PointSamples, more: PointSamples): void {
  for (const k of ['ttft', 'tpot', 'itl', 'e2el', 'ttfo'] as const) for (const v of more[k]) into[k].push(v);
  into.failed += more.failed;
}

/**
 * Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9), for confidence levels: z(0.975) = 1.96.
 */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Confidence interval of the p-quantile (0 < p < 1) from sorted samples, distribution-free: the order statistics at
 * 1-based ranks ⌈n·p ∓ z·√(n·p·(1−p))⌉ (normal approximation of the binomial count of samples below the quantile;
 * Conover, Practical Nonparametric Statistics, §3.2). Where the upper rank passes the largest sample, the interval's top is
 * the largest sample (with few samples a p99 cannot be bounded more tightly from the data).
 */
export function quantileInterval(sorted: Float64Array, p: number, level: number): [number, number] {
  const n = sorted.length;
  const z = normalQuantile(0.5 + level / 2);
  const half = z * Math.sqrt(n * p * (1 - p));
  const loRank = Math.max(1, Math.ceil(n * p - half));
  const hiRank = Math.min(n, Math.ceil(n * p + half));
  return [sorted[loRank - 1], sorted[hiRank - 1]];
}

const PCT: Record<Exclude<Slo['stat'], 'mean'>, number> = { p99: 99, p95: 95, p90: 90, p50: 50 };

/** One SLO on a point's samples: the statistic (numpy-linear percentile or mean, as vLLM computes them) and its interval. */
export function checkSlo(slo: Slo, s: PointSamples, level: number): SloCheck {
  const xs = s[slo.metric];
  if (!xs.length) return { ...slo, valueMs: null, ciMs: null, pass: false };
  const sorted = Float64Array.from(xs).sort();
  if (slo.stat === 'mean') {
    const m = mean(sorted);
    const half = xs.length > 1 ? (normalQuantile(0.5 + level / 2) * std(sorted) * Math.sqrt(xs.length / (xs.length - 1))) / Math.sqrt(xs.length) : Infinity;
    return { ...slo, valueMs: m, ciMs: [m - half, m + half], pass: m <= slo.maxMs };
  }
  const p = PCT[slo.stat];
  const v = percentileOfSorted(sorted, p);
  return { ...slo, valueMs: v, ciMs: quantileInterval(sorted, p / 100, level), pass: v <= slo.maxMs };
}

/**
 * Whether a point's verdict is known at the stated confidence: every SLO's interval lies wholly on one side of its
 * limit, or is within ±relativeWidth of the statistic. A point that is not yet known is measured again.
 */
export function verdictKnown(checks: readonly SloCheck[], relativeWidth: number): boolean {
  return checks.every((c) => {
    if (!c.ciMs || c.valueMs === null) return true;
    const [lo, hi] = c.ciMs;
    if (hi <= c.maxMs || lo > c.maxMs) return true;
    return (hi - lo) / 2 <= relativeWidth * Math.abs(c.valueMs);
  });
}
