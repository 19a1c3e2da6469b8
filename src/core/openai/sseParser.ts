/**
 * The one Server-Sent Events reader of the product (chat, benchmark raw client, benchmark undici client), following
 * the WHATWG HTML Standard, "Server-sent events" § "Parsing an event stream" / "Interpreting an event stream":
 * - one leading UTF-8 BOM is skipped;
 * - lines end with CRLF, LF or CR (a CR at the end of one read and an LF at the start of the next are one CRLF);
 * - a line starting with ":" is a comment (keep-alive pings);
 * - `field:value` (one space after the colon removed), or a line without a colon = a field with an empty value;
 * - `data` lines of one event are joined by LF; `event` sets the type (default "message"); `id` sets the last event
 *   id unless it contains NUL; `retry` (ASCII digits only) sets the reconnection time; other fields are ignored;
 * - a blank line dispatches the event; an event with no `data` line is not dispatched (its type is reset);
 * - at end of stream an unfinished event (no closing blank line) is DISCARDED, as the standard says ("If the file ends
 *   in the middle of an event, before the final empty line, the incomplete event is not dispatched"). A truncated
 *   final JSON chunk is indistinguishable from a whole one, so we never act on it; `end()` reports how many bytes were
 *   dropped so callers can say the stream was cut mid-event.
 *
 * Two layers: `SseByteReader` scans bytes in place (no allocation per event when an event lies inside one read: the
 * benchmark's hot path) and hands each event's data as a byte range to a sink; `SseParser` turns those into strings for
 * the chat. Both are linear in the input: no byte is scanned twice, however lines are cut across reads, and one line or
 * event is capped (`maxEventBytes`, default 16 MiB) so a hostile server cannot grow memory without bound.
 */

/** Default cap on one SSE line or one event's data: 16 MiB (an OpenAI chunk is a few hundred bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Where the cap is set, named in the error so a user can raise it. */
export const MAX_EVENT_BYTES_SETTING = 'setting deepseek.stream.maxEventBytes, CLI --max-event-bytes';

/**
 * Receives each dispatched event. `buf[s, e)` holds the data (lines joined by LF) and is valid only during the call;
 * a given Buffer object's content does not change while the sink may see it again (in-place reads are fresh views).
 */
export interface SseSink {
  /** `type` is the `event:` field's value, '' when absent (the standard's default type "message"). */
  onSseEvent(buf: Buffer, s: number, e: number, type: string): void;
}

/** Human-readable byte size: "16 MiB", "512 KiB", "100 B". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

/** The error text when one line or event passes the cap. */
export function eventTooLargeMessage(limit: number): string {
  return `The server sent an SSE line or event larger than the ${formatBytes(limit)} limit (${MAX_EVENT_BYTES_SETTING}); the stream was stopped.`;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const BOM = [0xef, 0xbb, 0xbf];
/** Room for a field name and separator around a capped value ("data: " and the like). */
const LINE_SLACK = 64;
/** A line or event past this size (1 MiB) is abnormal: its buffer is sized for the cap at once and not kept after. */
const BIG_LINE = 1024 * 1024;
/** Retain mode: input pieces of at least this size (16 KiB) are kept by reference; smaller ones are copied. */
const RETAIN_MIN = 16 * 1024;
/** Retain mode: small pieces are copied into buffers of this size (64 KiB). */
const RETAIN_ACC = 64 * 1024;

/** Options of `SseByteReader`. */
export interface SseReaderOptions {
  /**
   * The caller never changes a buffer after pushing it (fresh Buffers per socket read: node:http, undici; not the
   * raw benchmark client, whose reads land in one reused buffer). A line past 1 MiB then keeps the caller's pieces
   * (those ≥ 16 KiB that fill at least half of their ArrayBuffer) instead of copying them, and joins them once the
   * line ends. Why: those pieces stay allocated until a GC anyway, which a byte stream does not trigger, so copying
   * held every byte twice; a 100 MB event refused at the 16 MiB cap now holds ~16 MiB, not ~32 (bench-sse, chat).
   * A line that ends is joined into one buffer (its pieces and the join, at most 2× the line, as before).
   */
  readonly retainInput?: boolean;
}

/**
 * Byte-level SSE reader. Feed it with `push(buf, s, e)` as bytes arrive (any cut: inside a line, inside CRLF, inside a
 * multi-byte character); it calls `sink.onSseEvent` per dispatched event. The region passed to `push` is only read
 * during the call: anything unfinished is copied into the reader's own buffers (grown by doubling, at most the cap),
 * except, with `retainInput`, the pieces of a line past 1 MiB (see SseReaderOptions).
 * On a cap breach `error` is set and further input is ignored. Reusable across responses with `reset()`.
 */
export class SseByteReader {
  /** Set when a line or event passed `maxEventBytes`; the reader then ignores input until `reset()`. */
  error: string | undefined;
  /** The standard's "last event ID" (from `id:` fields). */
  lastEventId = '';
  /** The `retry:` reconnection time in ms, when a valid one was sent. */
  retryMs: number | undefined;
  /** Events dispatched since the last reset. */
  events = 0;

  private line: Buffer = Buffer.alloc(0);
  private lineLen = 0;
  /** Retain mode, a line past BIG_LINE: its bytes are segs ++ acc[0, accLen) (line[] is not used meanwhile). */
  private segs: Buffer[] | undefined;
  private acc: Buffer | undefined;
  private accLen = 0;
  private readonly retainInput: boolean;
  private data: Buffer = Buffer.alloc(0);
  /** The event's data is data[dataOff, dataLen) (dataOff > 0 when a long line's buffer became the data buffer). */
  private dataOff = 0;
  private dataLen = 0;
  private dataLines = 0;
  /** A single data line still lying in the caller's buffer (the zero-copy case). */
  private inBuf: Buffer | undefined;
  private inS = 0;
  private inE = 0;
  private type = '';
  private skipLF = false;
  /** BOM bytes matched so far; 3 = BOM handled (skipped or absent). */
  private bom = 0;

  constructor(private readonly sink: SseSink, readonly maxEventBytes: number = DEFAULT_MAX_EVENT_BYTES, options: SseReaderOptions = {}) {
    this.retainInput = options.retainInput === true;
  }

  /**
   * Clears all state for a new response (the caller's connection is reused). Keeps grown buffers up to `BIG_LINE`; a
   * larger one (left by a huge or hostile event) is dropped, so a pooled connection does not hold it afterwards.
   */
  reset(): void {
    if (this.line.length > BIG_LINE) this.line = Buffer.alloc(0);
    if (this.data.length > BIG_LINE) this.data = Buffer.alloc(0);
    this.error = undefined;
    this.lastEventId = '';
    this.retryMs = undefined;
    this.events = 0;
    this.lineLen = 0;
    this.dropSegments();
    this.dataOff = this.dataLen = 0;
    this.dataLines = 0;
    this.inBuf = undefined;
    this.type = '';
    this.skipLF = false;
    this.bom = 0;
  }

  /** Bytes of an unfinished line or event held right now (what `end()` would discard). */
  get pendingBytes(): number {
    return this.lineLen + (this.dataLines > 0 ? (this.inBuf ? this.inE - this.inS : this.dataLen - this.dataOff) + 1 : 0);
  }

  /** End of stream: the unfinished event, if any, is discarded (see the module comment). Returns the bytes dropped. */
  end(): number {
    const dropped = this.pendingBytes;
    this.lineLen = 0;
    this.dropSegments();
    this.dataOff = this.dataLen = 0;
    this.dataLines = 0;
    this.inBuf = undefined;
    this.type = '';
    return dropped;
  }

  /** Reads buf[s, e). */
  push(buf: Buffer, s: number, e: number): void {
    if (this.error !== undefined) return;
    let i = s;
    if (this.bom < 3) {
      while (this.bom < 3 && i < e) {
        if (buf[i] === BOM[this.bom]) {
          this.bom++;
          i++;
        } else {
          // Not a BOM after all: the bytes matched so far are content.
          const matched = this.bom;
          this.bom = 3;
          if (matched > 0 && !this.appendLine(Buffer.from(BOM), 0, matched)) return;
        }
      }
      if (i === e) return;
    }
    if (this.skipLF) {
      if (i === e) return;
      this.skipLF = false;
      if (buf[i] === LF) i++;
    }
    // Next LF and next CR at or after i (-1: none before e). Each is searched again only once passed, so every byte is
    // scanned at most once per terminator kind: linear however the input is cut.
    let lf = -2;
    let cr = -2;
    while (i < e) {
      if (lf !== -1 && lf < i) {
        // The blank line that ends an event is the byte right after the data line's LF: no native search for it.
        lf = buf[i] === LF ? i : buf.indexOf(LF, i);
        if (lf >= e) lf = -1;
      }
      if (cr !== -1 && cr < i) {
        cr = buf.indexOf(CR, i);
        if (cr >= e) cr = -1;
      }
      let t: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        t = cr;
        if (cr + 1 < e) next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
        else {
          next = e;
          this.skipLF = true;
        }
      } else if (lf >= 0) {
        t = lf;
        next = lf + 1;
      } else {
        this.appendLine(buf, i, e);
        break;
      }
      if (this.lineLen > 0) {
        if (!this.appendLine(buf, i, t)) return;
        const n = this.lineLen;
        this.lineLen = 0;
        if (this.segs !== undefined) this.joinSegments(n);
        this.onLine(this.line, 0, n, false);
      } else this.onLine(buf, i, t, true);
      if (this.error !== undefined) return;
      i = next;
    }
    // A data line still in the caller's buffer must survive the buffer's reuse.
    if (this.inBuf !== undefined) this.ownInPlace();
  }

  private fail(): false {
    this.error = eventTooLargeMessage(this.maxEventBytes);
    this.lineLen = 0;
    this.dropSegments();
    this.dataOff = this.dataLen = 0;
    this.dataLines = 0;
    this.inBuf = undefined;
    return false;
  }

  private grow(b: Buffer, used: number, need: number): Buffer {
    if (b.length >= need) return b;
    // ×4 steps up to BIG_LINE: the outgrown buffers (garbage until the next GC) add up to a third of the new one.
    let cap = Math.max(1024, b.length * 4);
    while (cap < need) cap *= 4;
    // Past BIG_LINE (no real chunk is that long: a broken or hostile stream) the next buffer is the largest ever
    // needed, the cap. `allocUnsafe` memory becomes resident only as it is written, so RSS follows the bytes held
    // (bench-sse: a refused 100 MB event at the 16 MiB cap held 20.4 MiB with ×4 steps to the cap), and the line is
    // never copied again: linear time, no outgrown cap-sized buffers.
    let nb: Buffer;
    if (cap > BIG_LINE || cap >= this.maxEventBytes) {
      try {
        nb = Buffer.allocUnsafe(Math.max(need, this.maxEventBytes + LINE_SLACK));
      } catch {
        // A raised cap larger than this process may reserve (`ulimit -v`): grow in ×4 steps instead.
        nb = Buffer.allocUnsafe(Math.min(cap, this.maxEventBytes + LINE_SLACK));
      }
    } else nb = Buffer.allocUnsafe(cap);
    b.copy(nb, 0, 0, used);
    return nb;
  }

  private appendLine(src: Uint8Array, s: number, e: number): boolean {
    const need = this.lineLen + (e - s);
    if (need > this.maxEventBytes + LINE_SLACK) return this.fail();
    if (this.segs !== undefined || (this.retainInput && need > BIG_LINE)) {
      this.appendSegment(src, s, e);
      this.lineLen = need;
      return true;
    }
    this.line = this.grow(this.line, this.lineLen, need);
    this.line.set(src.subarray(s, e), this.lineLen);
    this.lineLen = need;
    return true;
  }

  /** Retain mode: adds src[s, e) to the line's pieces (kept by reference when large, else copied). */
  private appendSegment(src: Uint8Array, s: number, e: number): void {
    if (this.segs === undefined) {
      // Entering: what the line buffer holds becomes the first piece (the buffer is the piece's now).
      this.segs = this.lineLen > 0 ? [this.line.subarray(0, this.lineLen)] : [];
      this.line = Buffer.alloc(0);
    }
    const n = e - s;
    // Kept only when the copy buffer is empty (a partly filled one is never set aside: no 64 KiB buffer holds a few
    // bytes) and the piece fills at least half of its ArrayBuffer (a small view must not pin a large read): what is
    // held stays within 2× the line's bytes.
    if (this.accLen === 0 && n >= RETAIN_MIN && 2 * n >= src.buffer.byteLength) {
      this.segs.push(Buffer.from(src.buffer, src.byteOffset + s, n));
      return;
    }
    for (let o = s; o < e;) {
      if (this.acc === undefined) {
        this.acc = Buffer.allocUnsafe(RETAIN_ACC);
        this.accLen = 0;
      }
      const k = Math.min(e - o, this.acc.length - this.accLen);
      this.acc.set(src.subarray(o, o + k), this.accLen);
      this.accLen += k;
      o += k;
      if (this.accLen === this.acc.length) {
        this.segs.push(this.acc);
        this.acc = undefined;
        this.accLen = 0;
      }
    }
  }

  /** Retain mode: the line's `n` bytes joined into one buffer, which becomes the line buffer. */
  private joinSegments(n: number): void {
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    for (const seg of this.segs!) {
      out.set(seg, o);
      o += seg.length;
    }
    if (this.acc !== undefined) out.set(this.acc.subarray(0, this.accLen), o);
    this.dropSegments();
    this.line = out;
  }

  private dropSegments(): void {
    this.segs = undefined;
    this.acc = undefined;
    this.accLen = 0;
  }

  private appendData(src: Uint8Array, s: number, e: number, sep: boolean): boolean {
    const need = this.dataLen + (sep ? 1 : 0) + (e - s);
    if (need - this.dataOff > this.maxEventBytes) return this.fail();
    this.data = this.grow(this.data, this.dataLen, need);
    if (sep) this.data[this.dataLen++] = LF;
    this.data.set(src.subarray(s, e), this.dataLen);
    this.dataLen = need;
    return true;
  }

  private ownInPlace(): void {
    const b = this.inBuf!;
    this.inBuf = undefined;
    this.dataOff = 0;
    this.dataLen = 0;
    this.appendData(b, this.inS, this.inE, false);
  }

  private onLine(b: Buffer, s: number, e: number, inPlace: boolean): void {
    const n = e - s;
    if (n === 0) return this.dispatch();
    const c0 = b[s];
    if (c0 === COLON) return;
    // The common case first: "data" then ":" or end of line.
    if (c0 === 100 && n >= 4 && b[s + 1] === 97 && b[s + 2] === 116 && b[s + 3] === 97 && (n === 4 || b[s + 4] === COLON)) {
      let v = n === 4 ? e : s + 5;
      if (v < e && b[v] === 32) v++;
      return this.onData(b, v, e, inPlace);
    }
    let colon = s;
    while (colon < e && b[colon] !== COLON) colon++;
    const name = b.toString('latin1', s, colon);
    let v = colon < e ? colon + 1 : e;
    if (v < e && b[v] === 32) v++;
    if (name === 'event') this.type = b.toString('utf8', v, e);
    else if (name === 'id') {
      let nul = false;
      for (let k = v; k < e; k++) if (b[k] === 0) nul = true;
      if (!nul) this.lastEventId = b.toString('utf8', v, e);
    } else if (name === 'retry') {
      let digits = v < e;
      for (let k = v; k < e; k++) if (b[k] < 48 || b[k] > 57) digits = false;
      if (digits) this.retryMs = Number(b.toString('latin1', v, e));
    }
  }

  private onData(b: Buffer, v: number, e: number, inPlace: boolean): void {
    if (this.dataLines === 0 && inPlace) {
      if (e - v > this.maxEventBytes) return void this.fail();
      this.inBuf = b;
      this.inS = v;
      this.inE = e;
      this.dataLines = 1;
      return;
    }
    if (this.inBuf !== undefined) this.ownInPlace();
    if (this.dataLines === 0 && b === this.line) {
      // The first data line of the event came from the line buffer (it was cut across reads, possibly megabytes):
      // the line buffer becomes the data buffer instead of being copied, so a huge event is held once, not twice.
      if (e - v > this.maxEventBytes) return void this.fail();
      this.line = this.data;
      this.data = b;
      this.dataOff = v;
      this.dataLen = e;
      this.dataLines = 1;
      return;
    }
    if (this.dataLines === 0) this.dataOff = this.dataLen = 0;
    if (!this.appendData(b, v, e, this.dataLines > 0)) return;
    this.dataLines++;
  }

  private dispatch(): void {
    const type = this.type;
    this.type = '';
    if (this.dataLines === 0) return;
    this.dataLines = 0;
    this.events++;
    if (this.inBuf !== undefined) {
      const b = this.inBuf;
      this.inBuf = undefined;
      this.sink.onSseEvent(b, this.inS, this.inE, type);
    } else {
      const off = this.dataOff;
      const n = this.dataLen - off;
      this.dataOff = this.dataLen = 0;
      // A view of exactly the event (an allocation only on this slow path): sinks may search past `e` natively, and
      // the grown buffer's tail holds older bytes.
      this.sink.onSseEvent(this.data.subarray(off, off + n), 0, n, type);
    }
  }
}

/** One dispatched event as text. `type` is "message" when the server sent no `event:` field. */
export interface SseEvent {
  readonly type: string;
  readonly data: string;
  /** The last event id at dispatch ('' when none was sent). */
  readonly id: string;
}

/** The cap error, thrown by `SseParser` (the chat path); the benchmark reads `SseByteReader.error` instead. */
export class SseLimitError extends Error {
  constructor(readonly limitBytes: number) {
    super(eventTooLargeMessage(limitBytes));
    this.name = 'SseLimitError';
  }
}

/**
 * The event layer for the chat: bytes (or text) in, events out as strings (UTF-8 decoded per whole event, so a
 * character cut across reads survives). Throws `SseLimitError` when a line or event passes the cap.
 */
export class SseParser implements SseSink {
  private readonly reader: SseByteReader;
  private out: SseEvent[] = [];

  constructor(maxEventBytes: number = DEFAULT_MAX_EVENT_BYTES, options: SseReaderOptions = {}) {
    this.reader = new SseByteReader(this, maxEventBytes, options);
  }

  onSseEvent(buf: Buffer, s: number, e: number, type: string): void {
    this.out.push({ type: type === '' ? 'message' : type, data: buf.toString('utf8', s, e), id: this.reader.lastEventId });
  }

  /** Feeds bytes or text; returns the events completed by them. */
  pushEvents(chunk: Uint8Array | string): SseEvent[] {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.reader.push(b, 0, b.length);
    const events = this.out;
    this.out = [];
    if (this.reader.error !== undefined) throw new SseLimitError(this.reader.maxEventBytes);
    return events;
  }

  /** The data of each event completed by this input (all event types). */
  push(chunk: Uint8Array | string): string[] {
    return this.pushEvents(chunk).map((ev) => ev.data);
  }

  /** Bytes of an unfinished line or event held right now. */
  get pendingBytes(): number {
    return this.reader.pendingBytes;
  }

  /** Bytes of the unfinished event discarded by the last `end()` (0: the stream ended on an event boundary). */
  droppedBytes = 0;

  /**
   * End of stream: an unfinished event is discarded (the standard's rule; see the module comment), so no event comes
   * out here: the array is always empty, and `droppedBytes` says what was dropped.
   */
  end(): string[] {
    this.droppedBytes = this.reader.end();
    return [];
  }
}
