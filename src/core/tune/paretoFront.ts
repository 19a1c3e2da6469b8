import type { TuneResult } from './tuneResult';

/**
 * The Pareto front of tuning runs between per-user speed and per-GPU throughput, as vLLM's
 * `vllm bench sweep plot_pareto` draws it (vllm/benchmarks/sweep/plot_pareto.py, `_pareto_frontier`): every run is
 * a point x = output tok/s per user, y = output tok/s per GPU; both are "more is better".
 */

/** One benchmark run as a point of the chart. */
export interface ParetoPoint {
  /** Output tokens/s one user sees. */
  readonly x: number;
  /** Output tokens/s per GPU. */
  readonly y: number;
}

/**
 * Indices of the points on the front, ordered by increasing x. A point is on it when no other point is at least as
 * good on both axes and better on one (values within `epsilon` count as equal, for float noise); exact duplicates
 * all stay. vLLM's `_pareto_frontier` sweeps the same way but also keeps a point that only ties another on y with a
 * smaller x; such a point is beaten, so it is left off here. Points with a non-finite coordinate are ignored.
 * O(n log n).
 */
export function paretoFront(points: readonly ParetoPoint[], epsilon = 1e-9): number[] {
  const order = points.map((_, i) => i).filter((i) => Number.isFinite(points[i].x) && Number.isFinite(points[i].y));
  // Sweep from the fastest-per-user point down, a group of equal x at a time: a point is beaten when a point with a
  // larger x has at least its y, or a point with the same x has a larger y.
  order.sort((a, b) => points[b].x - points[a].x || points[b].y - points[a].y);
  const front: number[] = [];
  let bestOfLargerX = -Infinity;
  for (let g = 0; g < order.length;) {
    const x = points[order[g]].x;
    let end = g;
    while (end < order.length && Math.abs(points[order[end]].x - x) <= epsilon) end++;
    const topY = points[order[g]].y;
    for (let k = g; k < end; k++) {
      const y = points[order[k]].y;
      if (y > bestOfLargerX + epsilon && y >= topY - epsilon) front.push(order[k]);
    }
    bestOfLargerX = Math.max(bestOfLargerX, topY);
    g = end;
  }
  return front.reverse();
}

/** A tuning run's benchmark run as a chart point, with what the view needs to label it. */
export interface TunePoint extends ParetoPoint {
  readonly candidateId: string;
  readonly runId: string;
  readonly sloPass: boolean;
}

/**
 * Every benchmark run of a tuning result as a point (x: its output tok/s per user, y: its output tok/s per GPU, as
 * vLLM's plot_pareto) and the front among them (indices into `points`, by increasing x). Runs without a per-user
 * speed (no TPOT measured) are left out.
 */
export function tunePareto(result: Pick<TuneResult, 'candidates'>): { points: TunePoint[]; front: number[] } {
  const points: TunePoint[] = result.candidates.flatMap((c) => c.runs.flatMap((r) => (r.outputTokPerSecPerUser === null ? [] : [{ candidateId: c.id, runId: r.id, x: r.outputTokPerSecPerUser, y: r.outputTokPerSecPerGpu, sloPass: r.sloPass }])));
  return { points, front: paretoFront(points) };
}
