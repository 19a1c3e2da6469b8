import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { RawHttpPool } from '../../src/core/bench/rawHttpClient';
import { newTrace } from '../../src/core/bench/trace';

// The benchmark's own HTTP/1.1 client against a server that sends a recorded vLLM response cut into reads at every
// position: framing (chunk sizes, CRLFs, trailers) and SSE events split anywhere must give the same trace.
const ev = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;
const events = [
  ev({ id: 'cmpl-1', object: 'text_completion', choices: [{ index: 0, text: '', logprobs: null, finish_reason: null }], usage: null }),
  ev({ id: 'cmpl-1', object: 'text_completion', choices: [{ index: 0, text: ' Hello', logprobs: null, finish_reason: null }], usage: null }),
  ev({ id: 'cmpl-1', object: 'text_completion', choices: [{ index: 0, text: ' world', logprobs: null, finish_reason: 'length' }], usage: null }),
  ev({ id: 'cmpl-1', object: 'text_completion', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }),
  'data: [DONE]\n\n',
];
const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${events.map(chunk).join('')}0\r\n\r\n`);
const ERROR = Buffer.from('HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 78\r\n\r\n{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError"}'.replace('78', String(Buffer.byteLength('{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError"}'))));

function server(respond: (sock: net.Socket, n: number) => void): Promise<{ port: number; close: () => void }> {
  let n = 0;
  const srv = net.createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, h))?.[1] ?? 0);
        if (buf.length < h + 4 + len) return;
        buf = buf.slice(h + 4 + len);
        respond(sock, n++);
      }
    });
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close() })));
}

test('a chunked SSE response cut at every byte position gives the same trace, over kept-alive connections', async () => {
  // Request k gets the response written in two reads cut at byte k (then the rest), so all cut points are exercised.
  const s = await server((sock, n) => {
    const cut = n % RESPONSE.length;
    sock.write(RESPONSE.subarray(0, cut));
    setImmediate(() => sock.write(RESPONSE.subarray(cut)));
  });
  const pool = new RawHttpPool('127.0.0.1', s.port, `127.0.0.1:${s.port}`);
  await pool.preconnect(2);
  for (let k = 0; k < RESPONSE.length; k++) {
    const t = newTrace(k, 5, 3);
    await pool.send('/v1/completions', { 'content-type': 'application/json' }, Buffer.from('{}'), t);
    assert.equal(t.error, undefined, `cut at ${k}`);
    assert.equal(t.success, true, `cut at ${k}`);
    assert.equal(t.chunks, 3, `cut at ${k}: three token chunks`);
    assert.deepEqual(Array.from(t.textFlags.subarray(0, 3)), [0, 1, 1]);
    assert.equal(t.usageCompletionTokens, 3);
    assert.equal(t.usagePromptTokens, 5);
  }
  pool.close();
  s.close();
});

test('HTTP errors with a content-length body, a connection closed mid-stream, and cancel are recorded, not thrown', async () => {
  const s = await server((sock, n) => {
    if (n === 0) sock.write(ERROR);
    else if (n === 1) {
      sock.write(RESPONSE.subarray(0, 200));
      setTimeout(() => sock.destroy(), 20);
    } else sock.write(RESPONSE.subarray(0, 150)); // then silence, until the client cancels
  });
  const pool = new RawHttpPool('127.0.0.1', s.port, `127.0.0.1:${s.port}`);
  const t0 = newTrace(0, 1, 1);
  await pool.send('/v1/completions', {}, Buffer.from('{}'), t0);
  assert.equal(t0.error, 'HTTP 404: The model `x` does not exist.');
  const t1 = newTrace(1, 1, 1);
  await pool.send('/v1/completions', {}, Buffer.from('{}'), t1);
  assert.equal(t1.success, false);
  assert.equal(t1.error, 'connection closed by the server');
  const ac = new AbortController();
  const t2 = newTrace(2, 1, 1);
  setTimeout(() => ac.abort(), 50);
  await pool.send('/v1/completions', {}, Buffer.from('{}'), t2, ac.signal);
  assert.equal(t2.error, 'cancelled');
  pool.close();
  s.close();
});

test('kind 6/7: a garbage chunk-size line, endless chunk extensions and endless trailers fail at once with a clear error, not silently or at a deadline', async () => {
  const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
  const first = chunk(events[1]);
  const s = await server((sock, n) => {
    if (n === 0) sock.end(`${head}${first}zz-not-hex\r\n${events[2]}\r\n0\r\n\r\n`);
    else if (n === 1) {
      // "5;" then extension bytes with no line end: 64 KiB per 10 ms, without end.
      sock.write(`${head}${first}5;`);
      const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write(Buffer.alloc(65536, 'e'))), 10);
    } else {
      sock.write(`${head}${first}0\r\n`);
      const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write(`x-t: ${'v'.repeat(65536)}\r\n`)), 10);
    }
  });
  // Long deadlines: only the framing checks can end the second and third responses within the test's time.
  const pool = new RawHttpPool('127.0.0.1', s.port, `127.0.0.1:${s.port}`, { maxEventBytes: 1 << 24, firstTokenTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
  for (const [i, want] of [[0, /bad chunk size line/], [1, /chunk size line longer than 16 KiB/], [2, /response trailers larger than 64 KiB/]] as const) {
    const t = newTrace(i, 1, 1);
    const t0 = performance.now();
    await pool.send('/v1/completions', {}, Buffer.from('{}'), t);
    assert.equal(t.success, false, `response ${i}`);
    assert.match(t.error ?? '', want);
    assert.ok(performance.now() - t0 < 5000, `response ${i} took ${(performance.now() - t0).toFixed(0)} ms`);
  }
  pool.close();
  s.close();
});

test('https: a server that accepts and never completes the TLS handshake fails the request after 10 s, naming the handshake (it held the connect phase forever)', async () => {
  const socks: net.Socket[] = [];
  const srv = net.createServer((c) => {
    socks.push(c);
    c.on('error', () => undefined);
    c.resume(); // reads the ClientHello, answers nothing
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const pool = new RawHttpPool('127.0.0.1', port, `127.0.0.1:${port}`, undefined, { insecure: true });
  try {
    const t = newTrace(0, 1, 1);
    const t0 = Date.now();
    await pool.send('/v1/completions', { 'content-type': 'application/json' }, Buffer.from('{}'), t);
    const took = Date.now() - t0;
    assert.equal(t.success, false);
    assert.equal(t.error, 'no connection within 10 s (TCP connect and TLS handshake)');
    assert.ok(took >= 9_900 && took < 13_000, `failed after ${took} ms`);
  } finally {
    pool.close();
    for (const s of socks) s.destroy();
    srv.close();
  }
});
