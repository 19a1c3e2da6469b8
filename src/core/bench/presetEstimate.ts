import type { RunSpec } from './presets';

/**
 * A server's step cost, as the simulator's calibrations state it (src/simulator/calibration.ts, fitted to the seeds'
 * measurements): one decode step = baseMs + perSeqMs × running sequences; prefill costs prefillMsPerToken per token.
 */
export interface StepCost {
  readonly baseMs: number;
  readonly perSeqMs: number;
  readonly prefillMsPerToken: number;
}

/**
 * Rough wall time of one benchmark run, in seconds: the prompts go in waves of `maxConcurrency` (all at once when
 * unlimited); each wave prefills its prompts, then decodes `outputLen` steps with the wave's batch. Ignores request
 * rate pacing and length spread (their means are used), so it is an estimate to plan by, not a prediction.
 */
export function estimateRunSeconds(spec: RunSpec, cost: StepCost): number {
  const n = spec.random.numPrompts;
  const batch = Math.max(1, Math.min(n, spec.maxConcurrency ?? n));
  const waves = Math.ceil(n / batch);
  const waveMs = cost.prefillMsPerToken * spec.random.inputLen * batch + spec.random.outputLen * (cost.baseMs + cost.perSeqMs * batch);
  return (waves * waveMs) / 1000;
}

/** "≈ 40 s", "≈ 6 min", "≈ 1.5 h" for a picker. */
export function formatEstimate(seconds: number): string {
  if (seconds < 90) return `≈ ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `≈ ${Math.round(seconds / 60)} min`;
  return `≈ ${(seconds / 3600).toFixed(1)} h`;
}
