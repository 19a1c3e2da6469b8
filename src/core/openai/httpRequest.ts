import * as http from 'node:http';
import * as https from 'node:https';

/** A response whose body is still streaming: read `body` (a Readable) to the end or destroy it. */
export interface StreamingResponse {
  readonly statusCode: number;
  /** Lower-case header names (node:http's IncomingHttpHeaders). */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
}

/**
 * Keep-alive agents whose idle sockets close after 4 s: vLLM's and SGLang's servers (uvicorn) close idle connections
 * after 5 s without notice, and Node's global agent keeps them 5 s, so a chat turn sent ~5 s after the last could
 * land on a socket being closed (a POST is not retried). undici's default keep-alive is 4 s for the same reason.
 */
const AGENTS = { 'http:': new http.Agent({ keepAlive: true, timeout: 4000 }), 'https:': new https.Agent({ keepAlive: true, timeout: 4000 }) };

/** What `httpRequest` sends. */
export interface HttpRequestOptions {
  /** Default GET. */
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** The request body (JSON text, sent as UTF-8 with its content-length). */
  readonly body?: string;
  /** Aborts the request (it rejects with an error named AbortError), or the body while it streams (its reader then throws `Error: aborted`, code ECONNRESET: tell a cancel by the signal, not the error). */
  readonly signal?: AbortSignal;
  /** https: skip the certificate check (vLLM bench serve --insecure); kept-alive sockets are not shared with checked ones. */
  readonly insecure?: boolean;
}

/**
 * One HTTP/1.1 request to `url` (http or https; credentials in the URL are not sent: callers refuse them earlier,
 * core/security/redact.ts) on a keep-alive agent; resolves at the response head, the body streams (read it to the end,
 * e.g. with readCappedBody, or destroy it). Rejects with the request's error (`code`: ECONNREFUSED, ENOTFOUND,
 * HPE_HEADER_OVERFLOW …) or, when `signal` aborts, an error named AbortError. No redirects are followed and no
 * "bad ports" are refused (WHATWG fetch refuses 6000, 10080 …, on which a user's server may listen).
 *
 * The product's one client for small requests (the model list, /version, /server_info, /tokenize, /metrics, the
 * launch's 1-token check, a clicked image) and the chat stream; the benchmark's streams use our raw client
 * (rawHttpClient.ts), undici only with `--transport undici` (streamClient.ts). Why node:http and not undici:
 * - undici's HTTP/1 client drains its socket with `socket.read()`, which joins every read buffered since the last
 *   'readable' event into a new Buffer, so each streamed byte is allocated twice and both copies wait for a GC that a
 *   byte stream does not trigger. Measured on this 2-core VM (undici 7.30.2, Node 20, a fresh process after one small
 *   request, peak RSS growth): reading 16 MiB of SSE and dropping it, undici +30–39 MB vs node:http +18–21 MB; a 100 MB
 *   event refused at the 16 MiB cap by the chat's SSE parser, undici +52–64 MB vs node:http +33 MB (six runs each).
 * - undici parses HTTP with llhttp compiled to WebAssembly, which V8 tiers up to TurboFan on a worker thread once it is
 *   hot; that compile's memory stays in the worker's malloc arena. A benchmark on plain http (the raw client, no
 *   undici for the stream) still probed the server through undici, so the tier-up ran during the run: strace of
 *   bench-sse's raw-client child showed 331 arena extensions (~10 MB) under ExecuteTurbofanWasmCompilation while a
 *   100 MB event was refused, and the compile competes with the client for the cores. node:http's llhttp is native.
 *   That event's peak RSS growth, raw client: 22.7–33.4 MB (6 runs) with the undici probe, 15.0–18.7 (5 runs) without.
 */
export function httpRequest(url: string | URL, opts: HttpRequestOptions = {}): Promise<StreamingResponse> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const data = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
  const options: http.RequestOptions = {
    method: opts.method ?? 'GET',
    protocol: u.protocol,
    hostname: socketHost(u),
    port: u.port === '' ? undefined : Number(u.port),
    path: `${u.pathname}${u.search}`,
    headers: data ? { ...opts.headers, 'content-length': String(data.length) } : { ...opts.headers },
    agent: u.protocol === 'https:' ? AGENTS['https:'] : AGENTS['http:'],
    signal: opts.signal,
    // https.Agent keys its sockets by this option too, so an unchecked connection is never reused for a checked request.
    ...(opts.insecure && u.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(options, (res) => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }));
    // Errors after the head reach the body's reader (its iterator throws); this one only settles the head.
    req.on('error', reject);
    req.end(data);
  });
}

/** POSTs `body` (JSON text) to `url`: `httpRequest` with method POST (the chat stream). */
export function postStream(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<StreamingResponse> {
  return httpRequest(url, { method: 'POST', headers, body, signal });
}

/** The host for a socket from a URL: URL keeps IPv6 literals in brackets ("[::1]"), net/tls want the bare address. */
export const socketHost = (u: URL): string => u.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Whether an error code is OpenSSL's or Node's word for a certificate that failed the check (untrusted, self-signed,
 * expired, another name): the X509_V_ERR names Node passes through (tls.md "X509 certificate error codes") and
 * ERR_TLS_CERT_ALTNAME_INVALID.
 */
export const isCertificateFailure = (code: string | undefined): boolean => typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);

/**
 * An httpRequest failure (the request's rejection or its body's error) in words a user can act on; timeouts and
 * cancels are the caller's to name (it owns the signals). node:http's own texts read badly in a message:
 * - a connection closed before the head is "socket hang up", mid-body "aborted" (which reads like a cancel), both
 *   code ECONNRESET;
 * - a port that does not speak HTTP/1.1 (an SSH port, an HTTP/2-only server) is an llhttp code such as
 *   HPE_INVALID_CONSTANT;
 * - https against a plain-http port is EPROTO with "wrong version number";
 * - a certificate that is not trusted, expired or for another name is only its code (DEPTH_ZERO_SELF_SIGNED_CERT,
 *   CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID …): say what to do; an HTTP/2-only TLS endpoint refuses ALPN
 *   http/1.1 with EPROTO "no application protocol".
 * Anything else: its code (ECONNREFUSED, ENOTFOUND, EMFILE …) or its message.
 */
export function httpErrorText(e: unknown): string {
  const err = e as Error & { code?: string };
  if (err.message === 'aborted') return 'the server closed the connection before the response ended';
  if (err.code === 'ECONNRESET') return 'the server closed the connection without answering (ECONNRESET)';
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'the response head is larger than 16 KiB (HPE_HEADER_OVERFLOW)';
  if (typeof err.code === 'string' && err.code.startsWith('HPE_')) return `the answer is not HTTP/1.1 (${err.code}): is this port an HTTP server (not SSH, not HTTP/2 only)?`;
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the server's TLS certificate does not name this host (${err.code}): connect by a name the certificate lists, or skip the check for a benchmark with --insecure`;
  if (err.code === 'CERT_HAS_EXPIRED') return `the server's TLS certificate has expired (${err.code}); skip the check for a benchmark with --insecure`;
  if (isCertificateFailure(err.code)) return `the server's TLS certificate is not trusted (${err.code}): add its CA with NODE_EXTRA_CA_CERTS, or skip the check for a benchmark with --insecure`;
  if (err.code === 'EPROTO' && /no application protocol/i.test(err.message)) return 'the TLS handshake failed (EPROTO, no application protocol): the server offers no HTTP/1.1 (an HTTP/2-only endpoint?)';
  if (err.code === 'EPROTO' && /wrong version number/i.test(err.message)) return 'the TLS handshake failed (EPROTO, wrong version number): the port speaks plain http; use an http:// URL';
  return err.code ?? err.message;
}
