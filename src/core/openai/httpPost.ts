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

/**
 * POSTs `body` (JSON text) to `url` (http or https; credentials in the URL are not sent: callers refuse them earlier,
 * core/security/redact.ts) and resolves at the response head; the body streams. Rejects with the request's error
 * (`code`: ECONNREFUSED, ENOTFOUND, HPE_HEADER_OVERFLOW …) or, when `signal` aborts, an error named AbortError.
 *
 * Why node:http and not undici for the chat stream: undici's HTTP/1 client drains its socket with `socket.read()`,
 * which joins every read buffered since the last 'readable' event into a new Buffer, so each streamed byte is
 * allocated twice and both copies wait for a GC that a byte stream does not trigger. Measured on this 2-core VM
 * (undici 7.30.2, Node 20, a fresh process after one small request, peak RSS growth): reading 16 MiB of SSE and
 * dropping it, undici +30–39 MB vs node:http +18–21 MB; a 100 MB event refused at the 16 MiB cap by the chat's SSE
 * parser, undici +52–64 MB vs node:http +33 MB (six runs each). node:http hands each socket read to the body once.
 */
export function postStream(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<StreamingResponse> {
  const u = new URL(url);
  const data = Buffer.from(body, 'utf8');
  const options: http.RequestOptions = {
    method: 'POST',
    protocol: u.protocol,
    // URL keeps IPv6 literals in brackets; the socket layer wants the bare address.
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? undefined : Number(u.port),
    path: `${u.pathname}${u.search}`,
    headers: { ...headers, 'content-length': String(data.length) },
    agent: u.protocol === 'https:' ? AGENTS['https:'] : AGENTS['http:'],
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(options, (res) => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }));
    // Errors after the head reach the body's reader (its iterator throws); this one only settles the head.
    req.on('error', reject);
    req.end(data);
  });
}
