import * as net from 'node:net';
import * as tls from 'node:tls';
import { newTrace, traceOverrun, type RequestTrace } from './trace';
import { recordMessage } from './sseScan';
import { httpErrorMessage, noTokenChunkMessage } from '../openai/cappedBody';
import { SseByteReader, type SseSink } from '../openai/sseParser';
import { DEFAULT_STREAM_LIMITS, MAX_ERROR_BODY_BYTES, StreamDeadline, type StreamLimits } from '../openai/streamLimits';
import { connectErrorMessage } from './connectError';
import { socketHost } from '../openai/httpRequest';
import { readModeration } from './readModeration';
import { pollPhaseClock } from './pollPhaseClock';

/**
 * A minimal HTTP/1.1 keep-alive client for benchmark targets, http and https (TLS through node:tls, whose sockets take
 * the same `onread` buffer): POST with a prebuilt head, chunked or
 * content-length responses, SSE messages scanned in place. undici's per-chunk cost (llhttp, one callback and buffer
 * per HTTP chunk) is most of a naive client's CPU when a server flushes every token separately; this reads each socket
 * buffer once and allocates nothing per chunk. undici (streamClient.ts) serves `--transport undici`
 * only. SSE is read by the product's
 * one reader (core/openai/sseParser.ts) in place in the socket's read buffer; stream deadlines and size caps come from
 * `StreamLimits`; an error body is read up to 64 KiB, then the connection is dropped.
 */
interface Pending {
  trace: RequestTrace;
  resolve: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const enum St { Head, Size, Data, DataEnd, Trailer, Fixed }

/** Largest response head and trailer section: 64 KiB (a real one is a few hundred bytes). */
const MAX_HEAD = 65536;
/** Largest chunk-size line, extensions included: 16 KiB (Node's http limit on chunk extensions, CVE-2024-22019). */
const MAX_SIZE_LINE = 16384;
/**
 * A connection (TCP connect, and the TLS handshake for https) must be ready within 10 s, undici's default connect
 * timeout: otherwise a server that accepts and never completes the handshake held the connect phase forever.
 */
const CONNECT_TIMEOUT_MS = 10_000;


/** https: TLS on each connection. `insecure` skips the certificate check (vLLM bench serve --insecure). */
export interface RawTls {
  readonly insecure: boolean;
}

class Conn implements SseSink {
  readonly sock: net.Socket;
  /** The event after which the connection can carry a request: 'connect', or 'secureConnect' over TLS. */
  readonly readyEvent: 'connect' | 'secureConnect';
  busy: Pending | undefined;
  dead = false;
  private st = St.Head;
  private head = '';
  private status = 0;
  private chunked = false;
  private remaining = 0;
  private keepAlive = true;
  private readonly reader: SseByteReader;
  private readonly deadline: StreamDeadline;
  /** Receive time of the read being scanned (all events in one read share it, as in vLLM's client). */
  private now = 0;
  private errBody = '';
  private errBytes = 0;
  private size = 0;
  private sizeDone = false;
  /** Bytes of the chunk-size line read so far (capped at MAX_SIZE_LINE). */
  private sizeLen = 0;
  /** Bytes of trailer section read so far (capped at MAX_HEAD). */
  private trailerLen = 0;
  private lineLen = 0;
  private sawChoices = false;
  /** The response's content-type (undefined: none), named in the error when a 200 carried no token chunk. */
  private contentType: string | undefined;

  /** `offline`: no connection is made (the JIT warm-up, `warmUpRawClient`, feeds it bytes with `replay`). */
  constructor(host: string, port: number, private readonly onIdle: (c: Conn) => void, limits: StreamLimits, offline = false, tlsOpts?: RawTls) {
    this.reader = new SseByteReader(this, limits.maxEventBytes);
    this.deadline = new StreamDeadline(limits, (msg) => this.abortWith(msg));
    // Reads land in one buffer per connection (`onread`): no Buffer allocated per socket read. The parser keeps no
    // reference into it past the callback (the SSE reader copies an event cut across reads into its own buffer).
    const readBuf = Buffer.allocUnsafe(65536);
    const onread = { buffer: readBuf, callback: (n: number, b: Uint8Array): boolean => {
      this.onData((b as Buffer).subarray(0, n));
      readModeration.noteRead(n);
      return true;
    } };
    this.readyEvent = tlsOpts ? 'secureConnect' : 'connect';
    if (offline) this.sock = new net.Socket();
    else if (tlsOpts) {
      // SNI only for a name: RFC 6066 forbids an IP address there (Node warns). HTTP/1.1 is all this client speaks.
      // `onread` is a documented tls.connect option (Node docs, tls.connect: "see the onread option of net.Socket") that
      // @types/node does not list.
      const options: tls.ConnectionOptions & { onread: net.OnReadOpts } = { host, port, onread, rejectUnauthorized: !tlsOpts.insecure, ALPNProtocols: ['http/1.1'], ...(net.isIP(host) === 0 ? { servername: host } : {}) };
      this.sock = tls.connect(options);
      this.sock.setNoDelay(true);
    } else this.sock = net.connect({ host, port, noDelay: true, onread });
    if (!offline) {
      const timer = setTimeout(() => this.abortWith(`no connection within ${CONNECT_TIMEOUT_MS / 1000} s (${tlsOpts ? 'TCP connect and TLS handshake' : 'TCP connect'})`), CONNECT_TIMEOUT_MS);
      this.sock.once(this.readyEvent, () => clearTimeout(timer));
      this.sock.once('close', () => clearTimeout(timer));
    }
    this.sock.on('error', (e) => this.fail(connectErrorMessage(e)));
    this.sock.on('close', () => {
      // A body without length or chunking ends when the server closes: that is its normal end.
      if (this.busy && this.st === St.Fixed && this.remaining === Infinity) this.complete();
      else this.fail('connection closed by the server');
    });
  }

  /** Fails the request in flight with `error` and drops the connection (cancel, deadline, cap). */
  abortWith(error: string, cancelled = false): void {
    const p = this.busy;
    if (p && cancelled) p.trace.cancelled = true;
    this.fail(error);
    this.sock.destroy();
  }

  onSseEvent(buf: Buffer, s: number, e: number, type: string): void {
    const p = this.busy;
    if (!p) return;
    this.deadline.event(this.now);
    if (recordMessage(p.trace, buf, s, e, this.now, type)) this.sawChoices = true;
    const overrun = traceOverrun(p.trace);
    if (overrun !== undefined) this.abortWith(overrun);
  }

  send(head: string, body: Buffer, p: Pending): void {
    this.begin(p);
    // One writev: head and body leave in one packet, so the server sees the whole request at once.
    this.sock.cork();
    this.sock.write(head);
    this.sock.write(body);
    this.sock.uncork();
  }

  /** Runs whole HTTP responses through the parsing path in reads of `readBytes`, as if a server had sent them. */
  replay(responses: readonly Buffer[], readBytes: number): void {
    for (const r of responses) {
      this.begin({ trace: newTrace(-1, 0, 0), resolve: () => undefined });
      for (let o = 0; o < r.length && this.busy; o += readBytes) this.onData(r.subarray(o, Math.min(r.length, o + readBytes)));
    }
    this.deadline.stop();
  }

  /** A new request on this connection: the response state is reset and the first-token deadline armed. */
  private begin(p: Pending): void {
    this.busy = p;
    this.st = St.Head;
    this.head = '';
    this.status = 0;
    this.chunked = false;
    this.keepAlive = true;
    this.reader.reset();
    this.errBody = '';
    this.errBytes = 0;
    this.size = 0;
    this.sizeDone = false;
    this.sizeLen = 0;
    this.trailerLen = 0;
    this.sawChoices = false;
    this.contentType = undefined;
    if (p.signal) {
      p.onAbort = () => this.abortWith('cancelled', true);
      p.signal.addEventListener('abort', p.onAbort, { once: true });
    }
    p.trace.startMs = performance.now();
    this.deadline.start(p.trace.startMs);
  }

  private fail(error: string): void {
    this.dead = true;
    const p = this.busy;
    if (!p) return;
    this.busy = undefined;
    this.finish(p, error);
  }

  private finish(p: Pending, error?: string): void {
    this.deadline.stop();
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    const t = p.trace;
    if (error) {
      t.success = false;
      t.error = error;
    } else if (!this.sawChoices) {
      t.success = false;
      t.error = noTokenChunkMessage(this.contentType);
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
      // An event without its closing blank line is discarded (the SSE standard's rule; see sseParser.ts).
      this.reader.end();
      this.finish(p);
    }
    if (!this.keepAlive) {
      this.dead = true;
      this.sock.destroy();
    } else this.onIdle(this);
  }

  private onData(d: Buffer): void {
    // The poll phase's time (pollPhaseClock.ts), never before this request was sent: a request sent during a phase
    // whose answer is read in the same phase (libuv's repeated epoll_wait when 1024 events came at once) would be.
    const now = Math.max(pollPhaseClock.readMs(), this.busy?.trace.startMs ?? 0);
    let i = 0;
    while (i < d.length && this.busy) {
      switch (this.st) {
        case St.Head: {
          // The blank line that ends the head may be cut across reads: search the head gathered so far.
          const prev = this.head.length;
          this.head += d.toString('latin1', i, Math.min(d.length, i + 16384));
          const end = this.head.indexOf('\r\n\r\n', Math.max(0, prev - 3));
          if (end < 0) {
            if (this.head.length > MAX_HEAD) return this.abortWith('response head larger than 64 KiB');
            i = Math.min(d.length, i + 16384);
            break;
          }
          i += end + 4 - prev;
          this.head = this.head.slice(0, end);
          this.status = Number(this.head.slice(9, 12));
          const lower = this.head.toLowerCase();
          this.chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/.test(lower);
          this.keepAlive = !/\r\nconnection: *close/.test(lower);
          this.contentType = /\r\ncontent-type:([^\r\n]*)/.exec(lower)?.[1];
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
          // The line is capped (16 KiB, Node's own limit on chunk extensions since CVE-2024-22019) and must start with a
          // hex digit: endless extensions or a garbage line fail at once instead of running to a deadline or passing
          // for the last chunk.
          let j = i;
          for (; j < d.length; j++) {
            const b = d[j];
            if (b === 10) break;
            if (this.sizeDone) continue;
            const v = b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1;
            if (v < 0) {
              if (this.sizeLen + j - i === 0) return this.abortWith(`bad chunk size line from the server (byte 0x${b.toString(16)})`);
              this.sizeDone = true;
            } else this.size = this.size * 16 + v;
          }
          this.sizeLen += j - i;
          if (this.sizeLen > MAX_SIZE_LINE) return this.abortWith('chunk size line longer than 16 KiB from the server');
          if (j === d.length) return;
          this.sizeLen = 0;
          this.remaining = this.size;
          this.size = 0;
          this.sizeDone = false;
          i = j + 1;
          if (this.remaining === 0) {
            this.st = St.Trailer;
            this.lineLen = 0;
            this.trailerLen = 0;
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
          if (++this.trailerLen > MAX_HEAD) return this.abortWith('response trailers larger than 64 KiB from the server');
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
      // Keep the first 64 KiB for the message; a longer (or endless) error body is not read further.
      const keep = Math.min(e - s, MAX_ERROR_BODY_BYTES - this.errBytes);
      if (keep > 0) this.errBody += d.toString('utf8', s, s + keep);
      this.errBytes += keep;
      if (this.errBytes >= MAX_ERROR_BODY_BYTES) {
        const p = this.busy;
        this.busy = undefined;
        this.dead = true;
        if (p) this.finish(p, httpErrorMessage(this.status, this.errBody));
        this.sock.destroy();
      }
      return;
    }
    this.now = now;
    this.reader.push(d, s, e);
    if (this.reader.error !== undefined) this.abortWith(this.reader.error);
  }
}

let warmedUp = false;

/** Whole chunked SSE responses like vLLM's and SGLang's: completions, then chat with reasoning (~1.6 MB in all). */
function syntheticResponses(): Buffer[] {
  const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
  const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
  const done = chunk('data: [DONE]\n\n') + '0\r\n\r\n';
  const completion = (k: number): string => `data: {"id":"cmpl-w","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" t${k}","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}\n\n`;
  const chat = (k: number): string => `data: {"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"${k % 3 ? 'content' : 'reasoning_content'}":" t${k}"},"logprobs":null,"finish_reason":null}]}\n\n`;
  const usage = chunk('data: {"id":"w","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":16,"total_tokens":2016,"completion_tokens":2000}}\n\n');
  const stream = (msg: (k: number) => string, perChunk: number): Buffer => {
    let body = '';
    for (let k = 0; k < 2000; k += perChunk) body += chunk(Array.from({ length: perChunk }, (_, j) => msg(k + j)).join(''));
    return Buffer.from(head + body + usage + done);
  };
  return [stream(completion, 1), stream(chat, 1), stream(completion, 8), stream(chat, 8)];
}

/**
 * Compiles the client's hot path (HTTP framing, the SSE reader, the message scan) before the clock starts: 24,000
 * synthetic messages (vLLM-style completions and chat chunks, one and eight per HTTP chunk, read in 16 KiB pieces)
 * through an offline connection; no network. Without it V8 optimizes these functions during the first second of the
 * run, on the cores the server under test also uses (bench-client: a 1-second firehose run spent about half its CPU
 * on compilation and first GCs). Takes ~40–150 ms (the first time, on a 2-core machine).
 */
export function warmUpRawClient(limits: StreamLimits = DEFAULT_STREAM_LIMITS): void {
  // Once per process: a sweep or Tune Deployment runs many benchmarks in one extension host, and the code stays hot.
  if (warmedUp) return;
  warmedUp = true;
  const responses = syntheticResponses();
  const c = new Conn('127.0.0.1', 0, () => undefined, limits, true);
  for (let i = 0; i < 3; i++) c.replay(responses, 16384);
  c.sock.destroy();
  // The paths a hostile stream takes: an event past 1 MiB (the reader's cap-sized buffer), and the same event past a
  // 1 MiB cap (refused). Without their type feedback the first such event deoptimizes the hot path and TurboFan
  // recompiles it on a worker thread during the event, and that thread's malloc arena keeps what the compile used
  // (smaps: +35 MB in one arena). Measured with bench-sse's child, first refused 100 MB event at the 16 MiB cap, 4 runs
  // each: peak RSS growth, raw client 28–44 MB (median 33) before, 23–35 (26) after; undici client 29–54 (47) before,
  // 27–49 (35) after. Costs ~4 MB and a few ms more warm-up, once per process.
  const head = Buffer.from('data: {"id":"cmpl-w","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"');
  const tail = Buffer.from('","logprobs":null,"finish_reason":null}],"usage":null}\n\n');
  const text = Buffer.alloc(1_100_000, 0x78);
  const n = head.length + text.length + tail.length;
  const hostile = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${n.toString(16)}\r\n`), head, text, tail, Buffer.from('\r\n0\r\n\r\n')]);
  const big = new Conn('127.0.0.1', 0, () => undefined, limits, true);
  const refusing = new Conn('127.0.0.1', 0, () => undefined, { ...limits, maxEventBytes: 1024 * 1024 }, true);
  for (let i = 0; i < 2; i++) {
    big.replay([hostile], 65536);
    refusing.replay([hostile], 65536);
  }
  big.sock.destroy();
  refusing.sock.destroy();
}

export class RawHttpPool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private readonly waiters: (() => void)[] = [];

  /** `tlsOpts`: an https target (TLS on every connection). */
  constructor(private readonly host: string, private readonly port: number, private readonly hostHeader: string, private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS, private readonly tlsOpts?: RawTls) {}

  /**
   * Opens n connections before the clock starts and makes one GET round trip on each (`warmPath`, e.g. /v1/models),
   * so no request's TTFT contains a TCP handshake or the server accepting a fresh connection.
   */
  async preconnect(n: number, warmPath?: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<void> {
    const conns = Array.from({ length: n }, () => this.open());
    // Cancel drops every connection being opened or warmed, so this phase ends within a tick of it.
    const onAbort = (): void => {
      for (const c of conns) c.abortWith('cancelled', true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
        c.sock.once(c.readyEvent, () => resolve());
        c.sock.once('close', () => resolve());
      })));
      if (warmPath && !signal?.aborted) {
        await Promise.all(conns.filter((c) => !c.dead).map((c) => new Promise<void>((resolve) => {
          c.send(this.head('GET', warmPath, headers, 0), Buffer.alloc(0), { trace: newTrace(-1, 0, 0), resolve });
        })));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    for (const c of conns) if (!c.dead && !this.idle.includes(c)) this.idle.push(c);
  }

  private head(method: string, path: string, headers: Record<string, string>, length: number): string {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-length: ${length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    return `${head}\r\n`;
  }

  private open(): Conn {
    const c = new Conn(this.host, this.port, (x) => this.release(x), this.limits, false, this.tlsOpts);
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

/**
 * The raw pool for an http or https `origin` (a URL string): the URL's brackets around an IPv6 literal are dropped
 * for the socket (the Host header keeps them), the scheme's default port applies, and https connections use TLS,
 * checking the certificate unless `insecure`. Throws for other schemes.
 */
export function rawPoolFor(origin: string, limits: StreamLimits, insecure = false): RawHttpPool {
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) URL: ${origin}`);
  const https = url.protocol === 'https:';
  return new RawHttpPool(socketHost(url), Number(url.port || (https ? 443 : 80)), url.host, limits, https ? { insecure } : undefined);
}
