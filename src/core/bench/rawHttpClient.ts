import * as net from 'node:net';
import { newTrace, type RequestTrace } from './trace';
import { httpErrorMessage, recordMessage } from './sseScan';

/**
 * A minimal HTTP/1.1 keep-alive client for plain-http benchmark targets: POST with a prebuilt head, chunked or
 * content-length responses, SSE messages scanned in place. undici's per-chunk cost (llhttp, one callback and buffer
 * per HTTP chunk) is most of a naive client's CPU when a server flushes every token separately; this reads each socket
 * buffer once and allocates nothing per chunk. https targets use undici (streamClient.ts).
 */
interface Pending {
  trace: RequestTrace;
  resolve: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const enum St { Head, Size, Data, DataEnd, Trailer, Fixed }


class Conn {
  readonly sock: net.Socket;
  busy: Pending | undefined;
  dead = false;
  private st = St.Head;
  private head = '';
  private status = 0;
  private chunked = false;
  private remaining = 0;
  private keepAlive = true;
  /** SSE bytes of a message cut across HTTP chunks or reads (rare: servers flush whole events). */
  private carry: Buffer | undefined;
  private errBody = '';
  private size = 0;
  private sizeDone = false;
  private lineLen = 0;
  private sawChoices = false;
  private readonly out = new Int32Array(1);

  constructor(host: string, port: number, private readonly onIdle: (c: Conn) => void) {
    // Reads land in one buffer per connection (`onread`): no Buffer allocated per socket read. The parser keeps no
    // reference into it past the callback (a cut SSE event is copied into `carry`).
    const readBuf = Buffer.allocUnsafe(65536);
    this.sock = net.connect({ host, port, noDelay: true, onread: { buffer: readBuf, callback: (n: number, b: Uint8Array) => {
      this.onData((b as Buffer).subarray(0, n));
      return true;
    } } });
    this.sock.on('error', (e) => this.fail(`${(e as Error & { code?: string }).code ?? e.message}`));
    this.sock.on('close', () => this.fail('connection closed by the server'));
  }

  send(head: string, body: Buffer, p: Pending): void {
    this.busy = p;
    this.st = St.Head;
    this.head = '';
    this.status = 0;
    this.chunked = false;
    this.keepAlive = true;
    this.carry = undefined;
    this.errBody = '';
    this.size = 0;
    this.sizeDone = false;
    this.sawChoices = false;
    if (p.signal) {
      p.onAbort = () => {
        this.fail('cancelled');
        this.sock.destroy();
      };
      p.signal.addEventListener('abort', p.onAbort, { once: true });
    }
    p.trace.startMs = performance.now();
    // One writev: head and body leave in one packet, so the server sees the whole request at once.
    this.sock.cork();
    this.sock.write(head);
    this.sock.write(body);
    this.sock.uncork();
  }

  private fail(error: string): void {
    this.dead = true;
    const p = this.busy;
    if (!p) return;
    this.busy = undefined;
    this.finish(p, error);
  }

  private finish(p: Pending, error?: string): void {
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    const t = p.trace;
    if (error) {
      t.success = false;
      t.error = error;
    } else if (!this.sawChoices) {
      t.success = false;
      t.error = 'Never received a valid chunk to calculate TTFT.';
    } else if (t.error === undefined) t.success = true;
    p.resolve();
  }

  private complete(): void {
    const p = this.busy;
    if (!p) return;
    this.busy = undefined;
    if (this.status !== 200) {
      this.finish(p, httpErrorMessage(this.status, this.errBody));
    } else {
      if (this.carry?.length) this.sse(this.carry, 0, this.carry.length, performance.now(), true);
      this.finish(p);
    }
    if (!this.keepAlive) {
      this.dead = true;
      this.sock.destroy();
    } else this.onIdle(this);
  }

  private onData(d: Buffer): void {
    const now = performance.now();
    let i = 0;
    while (i < d.length && this.busy) {
      switch (this.st) {
        case St.Head: {
          // The blank line that ends the head may be cut across reads: search the head gathered so far.
          const prev = this.head.length;
          this.head += d.toString('latin1', i, Math.min(d.length, i + 16384));
          const end = this.head.indexOf('\r\n\r\n', Math.max(0, prev - 3));
          if (end < 0) {
            if (this.head.length > 65536) this.fail('response head larger than 64 KiB');
            i = Math.min(d.length, i + 16384);
            break;
          }
          i += end + 4 - prev;
          this.head = this.head.slice(0, end);
          this.status = Number(this.head.slice(9, 12));
          const lower = this.head.toLowerCase();
          this.chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/.test(lower);
          this.keepAlive = !/\r\nconnection: *close/.test(lower);
          const cl = /\r\ncontent-length: *(\d+)/.exec(lower);
          if (this.chunked) this.st = St.Size;
          else if (cl) {
            this.remaining = Number(cl[1]);
            this.st = St.Fixed;
            if (this.remaining === 0) this.complete();
          } else {
            this.keepAlive = false;
            this.remaining = Infinity;
            this.st = St.Fixed;
          }
          break;
        }
        case St.Size: {
          // "<hex>[;ext]\r\n", possibly cut across reads
          // Hex digits read in place (no string per chunk); extensions after ';' and the CR are skipped.
          let j = i;
          for (; j < d.length; j++) {
            const b = d[j];
            if (b === 10) break;
            if (this.sizeDone) continue;
            const v = b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1;
            if (v < 0) this.sizeDone = true;
            else this.size = this.size * 16 + v;
          }
          if (j === d.length) return;
          this.remaining = this.size;
          this.size = 0;
          this.sizeDone = false;
          i = j + 1;
          if (this.remaining === 0) {
            this.st = St.Trailer;
            this.lineLen = 0;
          } else this.st = St.Data;
          break;
        }
        case St.Data:
        case St.Fixed: {
          const n = Math.min(this.remaining, d.length - i);
          this.body(d, i, i + n, now);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.st === St.Fixed) this.complete();
            else this.st = St.DataEnd;
          }
          break;
        }
        case St.DataEnd: {
          // the "\r\n" after chunk data, possibly split across reads
          if (d[i] === 10) this.st = St.Size;
          i++;
          break;
        }
        case St.Trailer: {
          // after the last (0-size) chunk: trailer lines, then an empty line ends the response
          const b = d[i++];
          if (b === 10) {
            if (this.lineLen === 0) this.complete();
            this.lineLen = 0;
          } else if (b !== 13) this.lineLen++;
          break;
        }
      }
    }
  }

  private body(d: Buffer, s: number, e: number, now: number): void {
    if (this.status !== 200) {
      if (this.errBody.length < 2000) this.errBody += d.toString('utf8', s, e);
      return;
    }
    let buf: Buffer = d;
    if (this.carry) {
      buf = Buffer.concat([this.carry, d.subarray(s, e)]);
      this.carry = undefined;
      s = 0;
      e = buf.length;
    }
    this.sse(buf, s, e, now, false);
  }

  /** Records each complete SSE message; an unfinished tail is carried to the next data. */
  private sse(buf: Buffer, s: number, e: number, now: number, final: boolean): void {
    const p = this.busy;
    if (!p) return;
    // Inline split at blank lines (no closure per read: this runs once per HTTP chunk).
    // memchr for each newline (native indexOf) rather than a JS loop over every byte.
    let start = s;
    let i = s;
    while ((i = buf.indexOf(10, i)) >= 0 && i < e - 1) {
      if (buf[i + 1] !== 10) {
        i++;
        continue;
      }
      if (i > start && recordMessage(p.trace, buf, start, i, now, this.out)) this.sawChoices = true;
      start = i + 2;
      i = start;
    }
    if (start < e) {
      if (final) {
        if (recordMessage(p.trace, buf, start, e, now, this.out)) this.sawChoices = true;
      } else this.carry = Buffer.from(buf.subarray(start, e));
    }
  }
}

export class RawHttpPool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly host: string, private readonly port: number, private readonly hostHeader: string) {}

  /**
   * Opens n connections before the clock starts and makes one GET round trip on each (`warmPath`, e.g. /v1/models),
   * so no request's TTFT contains a TCP handshake or the server accepting a fresh connection.
   */
  async preconnect(n: number, warmPath?: string, headers: Record<string, string> = {}): Promise<void> {
    const conns = Array.from({ length: n }, () => this.open());
    await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
      c.sock.once('connect', () => resolve());
      c.sock.once('error', () => resolve());
    })));
    if (warmPath) {
      await Promise.all(conns.filter((c) => !c.dead).map((c) => new Promise<void>((resolve) => {
        c.send(this.head('GET', warmPath, headers, 0), Buffer.alloc(0), { trace: newTrace(-1, 0, 0), resolve });
      })));
    }
    for (const c of conns) if (!c.dead && !this.idle.includes(c)) this.idle.push(c);
  }

  private head(method: string, path: string, headers: Record<string, string>, length: number): string {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-length: ${length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    return `${head}\r\n`;
  }

  private open(): Conn {
    const c = new Conn(this.host, this.port, (x) => this.release(x));
    this.all.add(c);
    c.sock.on('close', () => {
      this.all.delete(c);
      const i = this.idle.indexOf(c);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return c;
  }

  private release(c: Conn): void {
    const w = this.waiters.shift();
    this.idle.push(c);
    if (w) w();
  }

  send(path: string, headers: Record<string, string>, body: Buffer, trace: RequestTrace, signal?: AbortSignal): Promise<void> {
    let c: Conn | undefined;
    while ((c = this.idle.pop()) && c.dead);
    if (!c) c = this.open();
    const head = this.head('POST', path, headers, body.length);
    const conn = c;
    return new Promise((resolve) => conn.send(head, body, { trace, resolve, signal }));
  }

  close(): void {
    for (const c of this.all) c.sock.destroy();
    this.all.clear();
  }
}
