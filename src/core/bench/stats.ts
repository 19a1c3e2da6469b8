/** numpy's defaults, so our numbers equal `vllm bench serve`'s: mean, median, population std (ddof=0), linear percentiles. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

export function std(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / xs.length);
}

function sorted(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/** np.percentile(xs, p) with method="linear": rank = p/100·(n−1), interpolated between neighbours. */
export function percentileOfSorted(s: Float64Array, p: number): number {
  if (s.length === 0) return 0;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export function percentile(xs: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sorted(xs), p);
}

export function median(xs: ArrayLike<number>): number {
  return percentile(xs, 50);
}

export interface Summary { mean: number; median: number; std: number; percentiles: [number, number][] }

/** vLLM passes `values or 0`: an empty list summarises as zeros. */
export function summarize(xs: ArrayLike<number>, ps: readonly number[]): Summary {
  const s = sorted(xs);
  return { mean: mean(s), median: percentileOfSorted(s, 50), std: std(s), percentiles: ps.map((p) => [p, percentileOfSorted(s, p)]) };
}
