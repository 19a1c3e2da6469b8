import type { LoadKind } from './tuneResult';

/** The search's state for one configuration: every decided point (load → met the SLOs or not). */
export interface LoadSearchState {
  readonly kind: LoadKind;
  readonly start: number;
  readonly max: number;
  /** Rate: relative step at which bisection stops (0.1 = 10%); concurrency: whole requests (≥ 1). */
  readonly resolution: number;
  readonly maxPoints: number;
  readonly decided: ReadonlyArray<{ readonly load: number; readonly pass: boolean }>;
}

/** Next point to measure and in which phase, or the answer: highest passing load and the failing one above it. */
export type LoadStep =
  | { readonly done: false; readonly load: number; readonly phase: 'double' | 'bisect' }
  | { readonly done: true; readonly best: number | null; readonly above: number | null };

const round = (kind: LoadKind, x: number): number => (kind === 'concurrency' ? Math.floor(x) : Math.round(x * 1000) / 1000);

/**
 * GuideLLM's goodput search (and vLLM bench sweep's SLA search): double the load from `start` while every SLO holds,
 * then bisect between the highest passing and the lowest failing load until they are one resolution step apart.
 * Pure: decides from the points measured so far, so a resumed search replays saved runs and continues where it was.
 */
export function nextLoad(s: LoadSearchState): LoadStep {
  let lo: number | null = null;
  let hi: number | null = null;
  for (const d of s.decided) {
    if (d.pass && (lo === null || d.load > lo)) lo = d.load;
    if (!d.pass && (hi === null || d.load < hi)) hi = d.load;
  }
  // A failure below a pass (noise): the lower failure bounds the answer, the passes above it are not trusted.
  if (lo !== null && hi !== null && hi < lo) lo = Math.max(...s.decided.filter((d) => d.pass && d.load < hi).map((d) => d.load), -Infinity);
  if (lo === -Infinity) lo = null;
  const done = (): LoadStep => ({ done: true, best: lo, above: hi });
  if (s.decided.length >= s.maxPoints) return done();
  if (lo === null) {
    if (hi !== null) return done(); // the lowest load already failed
    return { done: false, load: s.start, phase: 'double' };
  }
  if (hi === null) {
    if (lo >= s.max) return done();
    return { done: false, load: Math.min(s.max, round(s.kind, lo * 2)), phase: 'double' };
  }
  const step = s.kind === 'concurrency' ? Math.max(1, Math.round(s.resolution)) : s.resolution * lo;
  if (hi - lo <= step + 1e-9) return done();
  const mid = round(s.kind, (lo + hi) / 2);
  if (mid <= lo || mid >= hi) return done();
  return { done: false, load: mid, phase: 'bisect' };
}
