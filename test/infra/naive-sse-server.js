// Baseline for the simulator bench: the obvious way to fake a streaming engine in Node — one setTimeout chain per
// stream — with the same schedule (TTFT, then a chunk every ITL), the same chunk shape, and the same lateness
// bookkeeping (actual write − scheduled write), so the two can be compared in one run on one machine.
'use strict';
const http = require('node:http');

const [port, ttftMs, itlMs] = process.argv.slice(2).map(Number);
const late = [];
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/_simulator/timing')) {
    const sorted = [...late].sort((a, b) => a - b);
    const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : 0);
    const cpu = process.cpuUsage();
    res.end(JSON.stringify({ tokens: sorted.length, latenessMs: { p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? 0 }, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 }));
    if (req.url.includes('reset=1')) late.length = 0;
    return;
  }
  let raw = '';
  req.on('data', (c) => { raw += c; });
  req.on('end', () => {
    const body = JSON.parse(raw);
    const n = body.max_tokens;
    const t0 = performance.now();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      late.push(performance.now() - (t0 + ttftMs + i * itlMs));
      const last = i === n - 1;
      res.write(`data: ${JSON.stringify({ id: 'cmpl-x', object: 'text_completion', created: 0, model: body.model, choices: [{ index: 0, text: ' tok', logprobs: null, finish_reason: last ? 'length' : null, stop_reason: null }] })}\n\n`);
      i++;
      if (last) return res.end('data: [DONE]\n\n');
      setTimeout(tick, Math.max(0, t0 + ttftMs + i * itlMs - performance.now()));
    };
    setTimeout(tick, ttftMs);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
