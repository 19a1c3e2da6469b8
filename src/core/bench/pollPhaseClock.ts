/**
 * Receive timestamps for the raw benchmark client: one time per event-loop poll phase, taken at the first read of
 * the phase and shared by every read delivered in it.
 *
 * Why: libuv's poll phase calls `epoll_wait` once and then reads every socket it reported, one after the other
 * (libuv src/unix/linux.c uv__io_poll; src/unix/stream.c uv__read), running our callback after each read. Every one
 * of those sockets already held its data when `epoll_wait` returned. Engines stream in decode steps (one token per
 * running request per step), so at high concurrency hundreds of sockets become readable together; timestamped one by
 * one, the last of them is stamped later than the first by the whole batch's processing (a read system call plus the
 * parse, ~5–10 µs each on this VM: ~3 ms for 512 streams), and a stream's position in the batch changes from step to
 * step, which turns into ITL error. The phase's first read is the closest this process can get to `epoll_wait`'s
 * return, and no socket in the batch arrived after it.
 *
 * The phase ends in the check phase (`setImmediate`), which libuv runs right after the poll phase: data that arrives
 * while the batch is processed is reported by the next `epoll_wait` and gets the next phase's time. (When one
 * `epoll_wait` fills libuv's whole event array, 1024 events, libuv polls again within the same phase; those later
 * events get the earlier time, at most the first batch's processing early; only with more than 1024 sockets readable
 * at once. A read is never stamped before its request was sent: see Conn.onData.)
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
