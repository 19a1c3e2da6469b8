/**
 * Receive timestamps for the raw benchmark client: one time per event-loop poll phase, taken at the first read of
 * the phase and shared by every read delivered in it.
 *
 * Why: libuv's poll phase calls `epoll_wait` once and then reads every socket it reported, one after the other
 * (libuv src/unix/linux.c uv__io_poll; src/unix/stream.c uv__read), running our callback after each read. Engines
 * stream in decode steps (one token per running request per step), so at high concurrency hundreds of sockets become
 * readable together; stamped one by one, the last of them is stamped later than the first by the whole batch's
 * processing (a read system call plus the parse, ~5–10 µs each on this VM: a few ms for 512 streams), and a stream's
 * position in the batch changes from step to step, which turns into ITL error.
 *
 * The error this leaves is two-sided and bounded by the processing of one batch: a socket's `read` takes whatever its
 * kernel buffer holds when its turn comes, so bytes that arrived while earlier sockets were processed are stamped with
 * the phase's (earlier) time; per-read stamps were late by up to the same amount, always. Measured (test/infra
 * load-server + bench-client-run, C=512, alternating A/B, medians of the runs' ITL error p99): per-read 1.35 / 1.67 /
 * 2.18 ms, per phase 1.23 / 1.27 / 1.33 ms (6, 10 and 16 pairs).
 *
 * The phase ends in the check phase (`setImmediate`), which libuv runs right after the poll phase; reads in the next
 * poll phase get a new time. When one `epoll_wait` fills libuv's event array (1024 events) libuv polls again within
 * the same phase, and those reads share the first time too. A read is never stamped before its request was sent (see
 * Conn.onData).
 */
export class PollPhaseClock {
  private phaseMs: number | undefined;

  /**
   * `now`: clock in ms (default `performance.now`); `later`: runs a function after the current poll phase (default
   * `setImmediate`). Both injectable for tests.
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly later: (f: () => void) => void = (f) => void setImmediate(f),
  ) {}

  private readonly endPhase = (): void => {
    this.phaseMs = undefined;
  };

  /** The receive time (ms, `now`'s clock) of a read delivered now: the current poll phase's first read's time. */
  readMs(): number {
    if (this.phaseMs === undefined) {
      this.phaseMs = this.now();
      this.later(this.endPhase);
    }
    return this.phaseMs;
  }
}

/** The one clock every raw connection in this process stamps its reads with. */
export const pollPhaseClock = new PollPhaseClock();
