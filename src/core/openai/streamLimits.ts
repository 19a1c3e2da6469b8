import { DEFAULT_MAX_EVENT_BYTES } from './sseParser';

/**
 * Bounds on what one streamed response may cost, shared by the chat and both benchmark clients. Settings
 * `deepseek.stream.*` (VS Code) and `--max-event-bytes` / `--first-token-timeout` / `--idle-timeout` (CLI) fill it.
 */
export interface StreamLimits {
  /** Largest SSE line or event, bytes (default 16 MiB). */
  readonly maxEventBytes: number;
  /**
   * From sending the request to the first SSE event with data, ms (default 600 s: a 1M-token prefill on one node can
   * take minutes). Comments (": keep-alive") do not count, so a server that only pings still times out.
   */
  readonly firstTokenTimeoutMs: number;
  /** Longest gap between two data events after the first, ms (default 120 s). Comments do not count either. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxEventBytes: DEFAULT_MAX_EVENT_BYTES, firstTokenTimeoutMs: 600_000, idleTimeoutMs: 120_000 };

/**
 * Most characters of tool-call text (function names and JSON arguments of all calls of one answer) a stream may
 * accumulate: 4 Mi. Each delta is already capped by maxEventBytes; this caps their sum, which a server could otherwise
 * grow without end. Beyond it the stream stops with an error that says so.
 */
export const MAX_TOOL_CALL_CHARS = 4 * 1024 * 1024;

/**
 * Most characters of one streamed answer (reasoning + content) the chat and the benchmark keep: 8 Mi, twice the text
 * of a 1M-token answer (the longest DeepSeek context, V4; ~4 characters per token). A server that ignores max_tokens
 * and keeps streaming valid chunks would otherwise grow the answer for as long as it sends (each chunk resets the idle
 * deadline).
 */
export const MAX_ANSWER_CHARS = 8 * 1024 * 1024;

/** The error when an answer passes MAX_ANSWER_CHARS. */
export function answerTooLongMessage(): string {
  return `The answer passed ${MAX_ANSWER_CHARS / (1024 * 1024)} Mi characters; stopped reading (is the server ignoring max_tokens?).`;
}

/** Most bytes of an HTTP error body kept for the message (the rest is not read: the connection is dropped). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Limits with defaults for what is missing; throws on a non-positive or non-numeric value (a settings typo). */
export function streamLimits(partial: Partial<StreamLimits> = {}): StreamLimits {
  const out = { ...DEFAULT_STREAM_LIMITS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`stream limit ${k} must be a positive number, got ${String(v)}`);
  }
  return out;
}

const SETTING = {
  first: 'setting deepseek.stream.firstTokenTimeoutSeconds, CLI --first-token-timeout',
  idle: 'setting deepseek.stream.idleTimeoutSeconds, CLI --idle-timeout',
};

/**
 * The two stream deadlines on one timer: first data event within `firstTokenTimeoutMs` of `start()`, then at most
 * `idleTimeoutMs` between data events. `event()` is two assignments (it runs per streamed chunk) except at the first
 * data event, which re-arms the timer for the between-chunks deadline; otherwise the timer is re-armed only when it
 * fires early, so a healthy stream costs one timer wake-up per idle period. The timer is unref'd.
 */
export class StreamDeadline {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private startMs = 0;
  private lastMs = 0;
  private got = false;

  constructor(private readonly limits: StreamLimits, private readonly onExpire: (message: string) => void) {}

  /** Arms the first-token deadline (call when the request is sent). */
  start(now: number = performance.now()): void {
    this.stop();
    this.startMs = now;
    this.got = false;
    this.arm(this.limits.firstTokenTimeoutMs);
  }

  /** A data event arrived at `now`. */
  event(now: number): void {
    this.lastMs = now;
    if (this.got) return;
    this.got = true;
    // From the first data on only the between-chunks deadline applies: re-arm for it once (the first-token timer would
    // otherwise notice a stall only at its own, much later, expiry: 600 s instead of 120 s by default). Later events
    // just move lastMs; the timer re-arms itself for the remainder when it fires early.
    if (this.timer !== undefined) {
      this.stop();
      this.arm(this.limits.idleTimeoutMs);
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(1, Math.ceil(ms)));
    this.timer.unref?.();
  }

  private check(): void {
    this.timer = undefined;
    const now = performance.now();
    const due = this.got ? this.lastMs + this.limits.idleTimeoutMs : this.startMs + this.limits.firstTokenTimeoutMs;
    if (now + 0.5 < due) return this.arm(due - now);
    this.onExpire(this.got ? idleTimeoutMessage(this.limits.idleTimeoutMs) : firstTokenTimeoutMessage(this.limits.firstTokenTimeoutMs));
  }
}

const seconds = (ms: number): string => `${+(ms / 1000).toFixed(3)} s`;

export function firstTokenTimeoutMessage(ms: number): string {
  return `No data from the server within ${seconds(ms)} of sending the request (first-token timeout; ${SETTING.first}). Keep-alive comments do not count.`;
}

export function idleTimeoutMessage(ms: number): string {
  return `The stream stalled: no data for ${seconds(ms)} between chunks (idle timeout; ${SETTING.idle}). Keep-alive comments do not count.`;
}
