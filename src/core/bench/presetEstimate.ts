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

/** What one finished run measured on an endpoint, in the units of vLLM's result JSON (ms, tokens, requests). */
export interface MeasuredSpeed {
  /** Requests in flight during the run: its peak concurrency (`max_concurrent_requests`, else `max_concurrency`). */
  readonly concurrency: number;
  readonly meanTpotMs: number;
  readonly meanTtftMs: number;
  /** total_input_tokens / completed */
  readonly meanInputTokens: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * The measured speed in a result with vLLM's keys (bench serve's `--save-result`), or undefined when the run has too
 * little to go on (no finished request, no TPOT: one output token, or a cancelled run that finished nothing).
 */
export function measuredSpeedOf(result: Readonly<Record<string, unknown>>): MeasuredSpeed | undefined {
  const completed = num(result.completed);
  const meanTpotMs = num(result.mean_tpot_ms);
  const meanTtftMs = num(result.mean_ttft_ms);
  const input = num(result.total_input_tokens);
  const concurrency = num(result.max_concurrent_requests) ?? num(result.max_concurrency) ?? completed;
  if (!completed || !meanTpotMs || !meanTtftMs || !input || !concurrency) return undefined;
  return { concurrency, meanTpotMs, meanTtftMs, meanInputTokens: input / completed };
}

/**
 * A step cost fitted to a measurement: the calibration's shape (how a step grows with the batch) scaled so that it
 * reproduces the measured TPOT at the measured concurrency, and its prefill cost scaled so that a wave of that many
 * prompts reproduces the measured TTFT (the same wave model as estimateRunSeconds). One run cannot separate the base
 * from the per-sequence cost, so the calibration's ratio between them is kept.
 */
export function stepCostFromMeasurement(base: StepCost, m: MeasuredSpeed): StepCost {
  const decode = m.meanTpotMs / (base.baseMs + base.perSeqMs * m.concurrency);
  const prefill = m.meanTtftMs / (base.prefillMsPerToken * m.meanInputTokens * m.concurrency);
  return { baseMs: base.baseMs * decode, perSeqMs: base.perSeqMs * decode, prefillMsPerToken: base.prefillMsPerToken * prefill };
}
