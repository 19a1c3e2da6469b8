import type { Calibration } from './calibration';

/**
 * One clock per engine, as in a continuous-batching engine: a single timer drives every sequence, never a timer per
 * stream. Two pacing models share it:
 * - batching: every step serves all running sequences at once, admits waiting ones up to max-num-seqs, and spends the
 *   step's token budget (max-num-batched-tokens) on decode first, then on chunked prefill, so load slows everyone;
 * - exact: each sequence's token i is due at arrival + TTFT + i × ITL (for checking benchmark clients against a known
 *   schedule); sequences due at the same moment are served in the same step.
 */
export interface SeqHandle {
  /** Called once per generated token; return false to stop (client gone or request finished). */
  onToken: (tokenIndex: number) => boolean;
  readonly promptTokens: number;
  readonly maxTokens: number;
  /** When the request arrived (performance.now()); exact timing counts TTFT from here. Default: now. */
  readonly arrivedAt?: number;
}

interface Seq extends SeqHandle {
  prefillLeft: number;
  generated: number;
  done: boolean;
  /** Exact mode: when the next token is due (performance.now() ms). */
  due: number;
  readonly arrivedAt: number;
}

export interface ClockStats { running: number; waiting: number; kvTokensUsed: number; promptTokensTotal: number; generationTokensTotal: number; steps: number }

export type ClockMode =
  | { readonly kind: 'batching'; readonly cal: Calibration; readonly maxNumSeqs: number; readonly tokenBudget: number; readonly speed: number }
  | { readonly kind: 'exact'; readonly ttftMs: number; readonly itlMs: number };

/** How late tokens were handed to their streams against their schedule, in 0.1 ms buckets (cheap enough for 25k/s). */
export class LatenessRecorder {
  private readonly buckets = new Uint32Array(10_001);
  count = 0;
  max = 0;

  record(lateMs: number): void {
    const v = Math.max(0, lateMs);
    if (v > this.max) this.max = v;
    this.buckets[Math.min(10_000, Math.floor(v * 10))]++;
    this.count++;
  }

  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= target) return (i + 1) / 10;
    }
    return this.max;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

export class EngineClock {
  private readonly waiting: Seq[] = [];
  private readonly running: Seq[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  readonly stats: ClockStats = { running: 0, waiting: 0, kvTokensUsed: 0, promptTokensTotal: 0, generationTokensTotal: 0, steps: 0 };
  readonly lateness = new LatenessRecorder();

  constructor(readonly mode: ClockMode) {}

  submit(h: SeqHandle): () => void {
    const now = performance.now();
    const s: Seq = { ...h, prefillLeft: Math.max(1, h.promptTokens), generated: 0, done: false, due: 0, arrivedAt: h.arrivedAt ?? now };
    if (this.mode.kind === 'exact') {
      s.prefillLeft = 0;
      s.due = s.arrivedAt + this.mode.ttftMs;
      this.running.push(s);
      this.stats.promptTokensTotal += h.promptTokens;
    } else {
      this.waiting.push(s);
    }
    this.refreshStats();
    this.arm();
    return () => {
      s.done = true;
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.mode.kind === 'exact') return this.armExact();
    if (this.timer) return;
    this.nextAt = performance.now();
    this.scheduleStep(this.mode);
  }

  // ---- exact mode: one timer set for the earliest due sequence ----

  private armedFor = Infinity;

  private armExact(): void {
    let earliest = Infinity;
    for (const s of this.running) if (!s.done && s.due < earliest) earliest = s.due;
    if (earliest === this.armedFor && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = earliest;
    if (earliest === Infinity) return;
    // A timer can fire a fraction of a millisecond early (libuv's loop time is cached); the step then finds nothing
    // due and re-arms, so no token is ever written before its time.
    this.timer = setTimeout(() => this.exactStep(), Math.max(0, earliest - performance.now()));
  }

  private exactStep(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const itl = this.mode.kind === 'exact' ? this.mode.itlMs : 0;
    const now = performance.now();
    let served = false;
    for (const s of this.running) {
      if (s.done || s.due > now) continue;
      served = true;
      this.lateness.record(performance.now() - s.due);
      this.emit(s);
      s.due += itl;
    }
    if (served) this.stats.steps++;
    this.drop();
    this.armExact();
  }

  // ---- batching mode: one step at a time, each step's length from the calibration ----

  private scheduleStep(m: Extract<ClockMode, { kind: 'batching' }>): void {
    this.drop();
    if (this.running.length === 0 && this.waiting.length === 0) {
      this.timer = undefined;
      return;
    }
    while (this.running.length < m.maxNumSeqs && this.waiting.length) this.running.push(this.waiting.shift()!);
    this.refreshStats();
    let budget = m.tokenBudget;
    const decoding = this.running.filter((s) => s.prefillLeft === 0);
    budget -= decoding.length;
    let prefillTokens = 0;
    const finishingPrefill: Seq[] = [];
    for (const s of this.running) {
      if (s.prefillLeft === 0 || budget <= 0) continue;
      const take = Math.min(s.prefillLeft, budget);
      s.prefillLeft -= take;
      budget -= take;
      prefillTokens += take;
      if (s.prefillLeft === 0) finishingPrefill.push(s);
    }
    const stepMs = m.cal.baseMs + m.cal.perSeqMs * (decoding.length + finishingPrefill.length) + m.cal.prefillMsPerToken * prefillTokens;
    this.stats.promptTokensTotal += prefillTokens;
    // Drift-free pacing: each step is due at a fixed offset from the previous one, not from when the timer fired.
    this.nextAt += stepMs / m.speed;
    const due = this.nextAt;
    this.timer = setTimeout(() => {
      this.stats.steps++;
      // The step that finishes a prefill also samples that sequence's first token, as real engines do.
      for (const s of decoding) this.lateAndEmit(s, due);
      for (const s of finishingPrefill) this.lateAndEmit(s, due);
      if (performance.now() - this.nextAt > 250) this.nextAt = performance.now(); // never try to catch up after a stall
      this.scheduleStep(m);
    }, Math.max(0, Math.ceil(due - performance.now())));
  }

  private lateAndEmit(s: Seq, due: number): void {
    if (s.done) return;
    this.lateness.record(performance.now() - due);
    this.emit(s);
  }

  private emit(s: Seq): void {
    if (s.done) return;
    const keep = s.onToken(s.generated);
    s.generated++;
    this.stats.generationTokensTotal++;
    if (!keep || s.generated >= s.maxTokens) s.done = true;
  }

  private drop(): void {
    for (const q of [this.running, this.waiting]) {
      let w = 0;
      for (let r = 0; r < q.length; r++) if (!q[r].done) q[w++] = q[r];
      q.length = w;
    }
    this.refreshStats();
  }

  private refreshStats(): void {
    this.stats.running = this.running.length;
    this.stats.waiting = this.waiting.length;
    let kv = 0;
    for (const s of this.running) kv += s.promptTokens - s.prefillLeft + s.generated;
    this.stats.kvTokensUsed = kv;
  }
}
