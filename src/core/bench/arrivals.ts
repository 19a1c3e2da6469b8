import { LegacyRandomState } from './numpyRandom';

/** vLLM's `--ramp-up-strategy linear|exponential` with `--ramp-up-start-rps` / `--ramp-up-end-rps` (integers ≥ 0). */
export interface RampUp {
  readonly strategy: 'linear' | 'exponential';
  readonly startRps: number;
  readonly endRps: number;
}

/** When each request is sent (seconds from the first dispatch) and the request rate in force when it was sent. */
export interface Schedule {
  readonly delays: Float64Array;
  readonly rates: Float64Array;
}

/**
 * serve.py `_get_current_request_rate`: progress = i / max(n − 1, 1); linear start + (end − start)·progress, exponential
 * start·(end/start)^progress; without a ramp the configured rate.
 */
export function currentRequestRate(ramp: RampUp | undefined, i: number, n: number, rate: number): number {
  if (!ramp) return rate;
  const progress = i / Math.max(n - 1, 1);
  if (ramp.strategy === 'linear') return ramp.startRps + (ramp.endRps - ramp.startRps) * progress;
  return ramp.startRps * Math.pow(ramp.endRps / ramp.startRps, progress);
}

/**
 * vLLM's arrival schedule (serve.py `get_request`, seeded by `np.random.seed(--seed)` in main_async): per request a gap
 * of `np.random.gamma(burstiness, 1/(rate·burstiness))` (rate Infinity: 0; burstiness Infinity: 1/rate), cumulated;
 * without a ramp-up and with a non-zero total, rescaled so the last arrival lands exactly at n / rate. Same draws as
 * numpy (LegacyRandomState), so the same `--seed` sends the same traffic as `vllm bench serve`.
 * Errors: a non-positive rate or burstiness (vLLM's asserts).
 */
export function arrivalSchedule(n: number, rate: number, burstiness: number, seed: number, ramp?: RampUp, state?: LegacyRandomState): Schedule {
  if (!(burstiness > 0)) throw new Error(`A positive burstiness factor is expected, but given ${burstiness}.`);
  const delays = new Float64Array(n);
  const rates = new Float64Array(n);
  if (n === 0) return { delays, rates };
  // A dataset that drew from np.random first (prefix_repetition) hands over its state: vLLM's gaps continue from it.
  const rs = state ?? new LegacyRandomState(seed);
  for (let i = 0; i < n; i++) {
    const r = currentRequestRate(ramp, i, n, rate);
    if (!(r > 0)) throw new Error(`Obtained non-positive request rate ${r}.`);
    rates[i] = r;
    if (r === Infinity) delays[i] = 0;
    else if (burstiness === Infinity) delays[i] = 1 / r;
    else delays[i] = rs.gamma(burstiness, 1 / (r * burstiness));
  }
  for (let i = 1; i < n; i++) delays[i] += delays[i - 1];
  if (!ramp && delays[n - 1] !== 0) {
    const factor = n / rate / delays[n - 1];
    for (let i = 0; i < n; i++) delays[i] *= factor;
  }
  return { delays, rates };
}

/** The delays only (seconds from the start), for a constant rate. */
export function arrivalTimes(n: number, rate: number, burstiness: number, seed: number): Float64Array {
  return arrivalSchedule(n, rate, burstiness, seed).delays;
}
