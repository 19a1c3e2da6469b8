// A load server for benchmarking benchmark clients (see shared/reference/peer-bench.md): raw `net`, prebuilt
// chunked-encoding buffers, and a log of when each chunk was really written (process.hrtime = CLOCK_MONOTONIC, the
// clock perf_counter and our clients convert to). Schedule mode: TTFT 120 ms after the body arrives, 23 more chunks
// every 25 ms, usage +60 ms, [DONE]. Firehose mode (?firehose=B in the path): 2000 chunks as fast as the socket drains,
// B SSE messages per write. GET /_stats returns and resets the log and the server's CPU.
'use strict';
const net = require('node:net');

const hr = () => Number(process.hrtime.bigint()) / 1e6;
const chunked = (s) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]); };
const msg = (text) => `data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}\n\n`;
const TOKEN = chunked(msg(' tok'));
const USAGE = (n) => chunked(`data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":16,"total_tokens":${16 + n},"completion_tokens":${n}}}\n\n`);
const DONE = Buffer.concat([chunked('data: [DONE]\n\n'), Buffer.from('0\r\n\r\n')]);
const HEAD = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n');
const BATCH = (b) => chunked(msg(' tok').repeat(b));
const json = (sock, status, body) => { const s = JSON.stringify(body); sock.write(`HTTP/1.1 ${status} OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(s)}\r\nconnection: keep-alive\r\n\r\n${s}`); };

let log = {};
let cpu0 = process.cpuUsage();
let late = [];

function stream(sock, id, arrived) {
  const w = { arrivedMs: arrived, writes: [] };
  log[id] = w;
  const t0 = arrived;
  const at = (k) => t0 + 120 + 25 * k; // token k is due at…
  sock.write(HEAD);
  let k = 0;
  const next = () => {
    if (sock.destroyed) return;
    const now = hr();
    if (k < 24) {
      late.push(now - at(k));
      sock.write(TOKEN);
      w.writes.push(hr());
      k++;
      setTimeout(next, Math.max(0, (k < 24 ? at(k) : at(23) + 60) - hr()));
    } else {
      sock.write(USAGE(24));
      sock.write(DONE);
    }
  };
  setTimeout(next, Math.max(0, at(0) - hr()));
}

function firehose(sock, b) {
  const buf = BATCH(b);
  const total = 2000 / b;
  sock.write(HEAD);
  let i = 0;
  const pump = () => {
    while (i < total) {
      i++;
      if (!sock.write(buf)) return sock.once('drain', pump);
    }
    sock.write(USAGE(2000));
    sock.write(DONE);
  };
  pump();
}

net.createServer((sock) => {
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      const arrived = hr();
      buf = buf.subarray(end + 4 + len);
      const [method, path] = head.split(' ');
      if (method === 'GET' && path.startsWith('/v1/models')) json(sock, 200, { object: 'list', data: [{ id: 'm', object: 'model' }] });
      else if (method === 'GET' && path.startsWith('/_stats')) {
        const c = process.cpuUsage(cpu0);
        late.sort((a, b) => a - b);
        json(sock, 200, { requests: log, cpuMs: (c.user + c.system) / 1000, latenessP99: late.length ? late[Math.floor(late.length * 0.99)] : 0 });
        log = {};
        late = [];
        cpu0 = process.cpuUsage();
      } else if (method === 'POST') {
        const id = /x-request-id: *([^\r\n]+)/i.exec(head)?.[1] ?? String(Math.random());
        const fh = /firehose=(\d+)/.exec(path);
        if (fh) firehose(sock, Number(fh[1]));
        else stream(sock, id, arrived);
      } else json(sock, 404, { error: 'not found' });
    }
  });
  sock.on('error', () => {});
}).listen(Number(process.argv[2] || 0), '127.0.0.1', function () { process.stdout.write(`${this.address().port}\n`); });
