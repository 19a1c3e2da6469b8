import { mulberry32 } from '../util/seededRandom';

function normal(u: () => number): number {
  // Box–Muller; 1 − u keeps the log finite.
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, scale) by Marsaglia–Tsang (shape < 1 boosted with U^(1/shape)). */
export function gamma(u: () => number, shape: number, scale: number): number {
  if (shape < 1) return gamma(u, shape + 1, scale) * Math.pow(1 - u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = 1 - u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/**
 * When each request is sent, in seconds from the start (vLLM serve.py get_request): inter-arrival gaps from
 * Gamma(burstiness, 1/(rate·burstiness)) — burstiness 1 = Poisson, < 1 burstier, > 1 more even, Infinity = constant —
 * cumulated and rescaled so the last arrival lands exactly at N/rate. Rate Infinity sends everything at t = 0.
 */
export function arrivalTimes(n: number, rate: number, burstiness: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  if (!Number.isFinite(rate) || n === 0) return out;
  if (!(rate > 0)) throw new Error(`request rate must be > 0 (got ${rate})`);
  if (!(burstiness > 0)) throw new Error(`burstiness must be > 0 (got ${burstiness})`);
  const u = mulberry32(seed);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += Number.isFinite(burstiness) ? gamma(u, burstiness, 1 / (rate * burstiness)) : 1 / rate;
    out[i] = acc;
  }
  const target = n / rate;
  const k = acc > 0 ? target / acc : 1;
  for (let i = 0; i < n; i++) out[i] *= k;
  return out;
}
