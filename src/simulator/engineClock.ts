import type { Calibration } from './calibration';

/**
 * One clock per server, as in a continuous-batching engine: every step serves all running sequences at once, admits
 * waiting ones up to max-num-seqs, and spends the step's token budget (max-num-batched-tokens) on decode first, then
 * on chunked prefill. Load therefore slows everyone, which per-stream timers could not show.
 */
export interface SeqHandle {
  /** Called once per generated token; return false to stop (client gone or request finished). */
  onToken: (tokenIndex: number) => boolean;
  readonly promptTokens: number;
  readonly maxTokens: number;
}

interface Seq extends SeqHandle {
  prefillLeft: number;
  generated: number;
  done: boolean;
}

export interface ClockStats { running: number; waiting: number; kvTokensUsed: number; promptTokensTotal: number; generationTokensTotal: number; steps: number }

export class EngineClock {
  private readonly waiting: Seq[] = [];
  private readonly running: Seq[] = [];
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  readonly stats: ClockStats = { running: 0, waiting: 0, kvTokensUsed: 0, promptTokensTotal: 0, generationTokensTotal: 0, steps: 0 };

  constructor(
    private readonly cal: Calibration,
    private readonly maxNumSeqs: number,
    private readonly tokenBudget: number,
    private readonly speed: number,
  ) {}

  submit(h: SeqHandle): () => void {
    const s: Seq = { ...h, prefillLeft: Math.max(1, h.promptTokens), generated: 0, done: false };
    this.waiting.push(s);
    this.refreshStats();
    this.kick();
    return () => {
      s.done = true;
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.timer) return;
    this.nextAt = performance.now();
    this.schedule();
  }

  private schedule(): void {
    this.drop();
    if (this.running.length === 0 && this.waiting.length === 0) {
      this.timer = undefined;
      return;
    }
    while (this.running.length < this.maxNumSeqs && this.waiting.length) this.running.push(this.waiting.shift()!);
    let budget = this.tokenBudget;
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
    const stepMs = this.cal.baseMs + this.cal.perSeqMs * (decoding.length + finishingPrefill.length) + this.cal.prefillMsPerToken * prefillTokens;
    this.stats.promptTokensTotal += prefillTokens;
    // Drift-free pacing: each step is due at a fixed offset from the previous one, not from when the timer fired.
    this.nextAt += stepMs / this.speed;
    const delay = Math.max(0, this.nextAt - performance.now());
    this.timer = setTimeout(() => {
      this.stats.steps++;
      // The step that finishes a prefill also samples that sequence's first token, as real engines do.
      for (const s of [...decoding, ...finishingPrefill]) this.emit(s);
      if (performance.now() - this.nextAt > 250) this.nextAt = performance.now(); // never try to catch up after a stall
      this.schedule();
    }, delay);
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
      for (let i = q.length - 1; i >= 0; i--) if (q[i].done) q.splice(i, 1);
    }
    this.refreshStats();
  }

  private refreshStats(): void {
    this.stats.running = this.running.length;
    this.stats.waiting = this.waiting.length;
    this.stats.kvTokensUsed = this.running.reduce((n, s) => n + s.promptTokens - s.prefillLeft + s.generated, 0);
  }
}
