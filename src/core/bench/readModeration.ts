/**
 * Read moderation for the benchmark clients: when a server streams so fast that the client wakes up for every few
 * hundred bytes, the event loop pauses for a fraction of a millisecond between wake-ups so that each socket read
 * carries many SSE messages. This is interrupt moderation (the same trade a NIC makes): a bounded delay on receive
 * timestamps for far fewer system calls.
 *
 * Why: the cost of a benchmark client is per read, not per byte. `epoll_wait` + `read` + the JS callback cost about
 * 10–20 µs on a virtualised host, and a client that keeps up with a server flushing one token per write reads ~2
 * messages per wake-up, spending 6–8 µs of CPU per message (`npm run bench`, "firehose ours C=64 1 msg/write") on the
 * same cores as the engine under test. A slower client reads more per wake-up and is cheaper per message, but late
 * by milliseconds once it saturates (the naive control at C=512: TTFT error p99 ≈ 140 ms). Moderated, ours reads ~30
 * messages per wake-up at ~1–1.3 µs per message (bench-client, this 2-core VM; the naive control 5–6 µs).
 *
 * Rule: in each 10 ms window the client counts deliveries (socket reads, or undici body chunks) and their bytes.
 * Moderation begins once windows in a row covering `sustainMs` (50 ms) each saw more than `ratePerMs` deliveries per ms (25
 * per ms: 25,000 wake-ups a second) of less than `smallBytes` each on average (4 KiB: about twenty messages), i.e. a
 * rate sustained for 50 ms: a firehose unmoderated wakes ~80,000 times a second here without a break. Engines stream
 * in decode steps, a burst of one token per running request every step; 512 streams at 40 tokens/s wake the client
 * ~20,000 times a second on average but 512 times within a few ms every 25 ms, and a single 10 ms window over such a
 * burst saw >50 per ms: with a one-window rule those bursts were moderated (bench-client C=512: 800 pauses, 370 ms
 * slept in a 2.3 s run, ITL error p99 1.4–2.4 ms against the 2 ms), so bursty loads whose ITL is measured
 * never pause now (the quiet windows between bursts break the streak). It stays moderated until the byte rate falls
 * below half of the window's that began it. A moderated loop
 * iteration that read something then blocks until `windowMs` (0.5 ms) has passed since the previous pause ended;
 * time spent processing or waiting in `epoll` counts towards it, so a loop that is already slow never pauses. A
 * receive timestamp moves by at most the pause it waited through, and a timed wait oversleeps: asked 0.5 ms,
 * `Atomics.wait` here lasts ~0.62 ms median, 0.72 ms p99 alone, with a multi-ms tail when a firehose server shares the
 * 2 cores (the ITL budget at C=512 is 2 ms). So `sleptMs` and `longestPauseMs` are measured, not asked, and a
 * run reports the longest pause as its bound. (Asking less to wake at 0.5 ms keeps the bound but costs CPU: firehose
 * C=64 1 msg/write 1.45 → 2.22 µs/message in an A/B of `npm run bench`, past the 2 µs target.) A client woken
 * fewer than 25,000 times a second, or not for 50 ms without a break, is never delayed at all.
 *
 * The pause is `Atomics.wait` on a private cell (the thread sleeps; no CPU). Where the host forbids it (a browser main
 * thread) the first attempt throws and moderation turns itself off.
 */
export interface ReadModerationOptions {
  /** Pause target in ms between the ends of two pauses (default 0.5). */
  readonly windowMs?: number;
  /** Deliveries per ms above which a 10 ms window counts as fast (default 25; see `sustainMs`). */
  readonly ratePerMs?: number;
  /** Mean delivery size in bytes below which a window counts as fast (default 4096). */
  readonly smallBytes?: number;
  /** How long (ms) the fast rate must last, in consecutive fast windows, before moderation begins (default 50). */
  readonly sustainMs?: number;
  /** Clock in ms (default `performance.now`); injectable for tests. */
  readonly now?: () => number;
  /** Blocks the thread for `ms` (default `Atomics.wait`); injectable for tests. */
  readonly sleep?: (ms: number) => void;
  /** Runs `f` after the current poll phase (default `setImmediate`); injectable for tests. */
  readonly later?: (f: () => void) => void;
}

/** Length of the measuring window in ms. */
const SPAN_MS = 10;
/** A pause shorter than this (ms) costs more in the futex call than it saves. */
const MIN_PAUSE_MS = 0.02;

export class ReadModeration {
  private reads = 0;
  private bytes = 0;
  private windowStart = 0;
  private active = false;
  /** ms covered by fast windows in a row (see `sustainMs`). */
  private fastMs = 0;
  private scheduled = false;
  private lastWake = 0;
  private disabled = false;
  /** Bytes per ms in the window that switched moderation on. */
  private entryBytesPerMs = 0;
  /** Pauses taken and ms really slept (for tests and the bench figures). */
  pauses = 0;
  sleptMs = 0;
  /** Longest pause really taken (ms): the most a receive timestamp moved. A run resets it when it starts. */
  longestPauseMs = 0;
  /** The pause target (ms) between the ends of two pauses (the measured bound is `longestPauseMs`). */
  readonly windowMs: number;
  private readonly ratePerMs: number;
  private readonly smallBytes: number;
  private readonly sustainMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => void;
  private readonly later: (f: () => void) => void;

  constructor(o: ReadModerationOptions = {}) {
    this.windowMs = o.windowMs ?? 0.5;
    this.ratePerMs = o.ratePerMs ?? 25;
    this.smallBytes = o.smallBytes ?? 4096;
    this.sustainMs = o.sustainMs ?? 50;
    this.now = o.now ?? (() => performance.now());
    const cell = new Int32Array(new SharedArrayBuffer(4));
    this.sleep = o.sleep ?? ((ms) => void Atomics.wait(cell, 0, 0, ms));
    this.later = o.later ?? ((f) => void setImmediate(f));
  }

  /** Called once per delivery (a socket read of `bytes`, or one undici body chunk). */
  noteRead(bytes: number): void {
    if (this.disabled) return;
    this.reads++;
    this.bytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      this.later(this.check);
    }
  }

  /** Whether the current window is moderated. */
  get moderating(): boolean {
    return this.active;
  }

  private readonly check = (): void => {
    this.scheduled = false;
    const now = this.now();
    const span = now - this.windowStart;
    if (span >= SPAN_MS) {
      const bytesPerMs = this.bytes / span;
      if (!this.active) {
        const fast = this.reads > this.ratePerMs * span && this.bytes < this.smallBytes * this.reads;
        this.fastMs = fast ? this.fastMs + span : 0;
        this.active = this.fastMs >= this.sustainMs;
        this.entryBytesPerMs = bytesPerMs;
      } else {
        // Moderated reads are fewer and larger by design, so the entry test would switch moderation off again in the
        // next window (and on in the one after). The server's byte rate is what moderation does not change: it stays
        // on until that rate falls to half of what it was when moderation began.
        this.active = bytesPerMs >= this.entryBytesPerMs / 2;
        if (!this.active) this.fastMs = 0;
      }
      this.windowStart = now;
      this.reads = 0;
      this.bytes = 0;
    }
    if (!this.active) return;
    const pause = this.windowMs - (now - this.lastWake);
    if (pause > MIN_PAUSE_MS) {
      try {
        this.sleep(pause);
      } catch {
        this.disabled = true;
        this.active = false;
        this.lastWake = this.now();
        return;
      }
      const woke = this.now();
      const slept = woke - now;
      this.pauses++;
      this.sleptMs += slept;
      if (slept > this.longestPauseMs) this.longestPauseMs = slept;
      this.lastWake = woke;
      return;
    }
    this.lastWake = this.now();
  };
}

/** The one moderator of this process: every benchmark connection shares the event loop it paces. */
export const readModeration = new ReadModeration();
