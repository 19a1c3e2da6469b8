/** process.hrtime in milliseconds: CLOCK_MONOTONIC, the clock every process on the machine shares (Python's perf_counter). */
export const hrNowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * `hrNowMs() − performance.now()` in ms: add it to a performance.now() timestamp to compare it with another process's
 * hrtime. Taken as the tightest of 5 bracketed samples (hrtime, performance.now(), hrtime; the midpoint of the
 * narrowest bracket), because the first performance.now() in a process sets up the perf_hooks binding and takes
 * ~1.8 ms on this VM: a single `hrtime − performance.now()` taken then is off by that much (seen as TTFT errors of
 * −1.5 ms in the simulator tests, a client "receiving" a chunk before the server wrote it). Good to a few µs.
 */
export function hrOffsetMs(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const a = hrNowMs();
    const p = performance.now();
    const b = hrNowMs();
    if (b - a < best) {
      best = b - a;
      offset = (a + b) / 2 - p;
    }
  }
  return offset;
}
