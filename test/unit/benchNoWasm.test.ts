import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as http from 'node:http';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';

// A benchmark of a plain-http endpoint (the usual `http://gpu01:8000`) runs on our raw client and node:http alone: no
// WebAssembly is compiled in the client's process. undici parses HTTP with llhttp compiled to WebAssembly, and V8
// tiers it up to TurboFan on a worker thread once it is hot; when the probe still went through undici, that compile
// ran during the run, on the cores the measurement uses, and kept ~10 MB in the worker's malloc arena (a 100 MB event
// refused at the 16 MiB cap: peak RSS growth 22–34 MB before, 15–19 after; bench-sse's refused rows).

const BENCH = path.resolve(__dirname, '../../../dist/bench.js');

/** A tiny OpenAI-compatible server: the model list, /version, and a 4-token completions stream. */
function server(): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    req.resume();
    if (req.method === 'GET' && req.url?.startsWith('/v1/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"object":"list","data":[{"id":"m","object":"model"}]}');
    }
    if (req.method === 'GET' && req.url === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"version":"0.20.0"}');
    }
    if (req.method === 'POST' && req.url === '/v1/completions') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 4; i++) res.write(`data: {"id":"c","object":"text_completion","choices":[{"index":0,"text":" t","finish_reason":null}]}\n\n`);
      res.write('data: {"id":"c","object":"text_completion","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":4,"total_tokens":12}}\n\n');
      return res.end('data: [DONE]\n\n');
    }
    res.writeHead(404).end();
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

/** Runs a 4-request benchmark in a fresh process that counts every WebAssembly compile; returns the count. */
function wasmCompilesDuringBenchmark(url: string, transport: 'raw' | 'undici'): Promise<{ compiles: number; completed: number }> {
  const child = `
    let compiles = 0;
    const W = globalThis.WebAssembly;
    for (const k of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) { const f = W[k]; if (f) W[k] = function (...a) { compiles++; return f.apply(this, a); }; }
    const M = W.Module; W.Module = new Proxy(M, { construct(t, a) { compiles++; return Reflect.construct(t, a); } });
    require(${JSON.stringify(BENCH)}).runBenchmark({ baseUrl: process.argv[1], backend: 'openai', model: 'm', transport: process.argv[2],
      random: { numPrompts: 4, inputLen: 8, outputLen: 4, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, burstiness: 1,
      maxConcurrency: 2, numWarmups: 1, ignoreEos: true, percentileMetrics: ['ttft'], metricPercentiles: [99], mode: 'vllm', label: 'w' })
      .then((r) => { process.stdout.write(JSON.stringify({ compiles, completed: r.metrics.completed })); process.exit(0); }, (e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', child, url, transport], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { compiles: number; completed: number }) : reject(new Error(`benchmark child exited ${code}`))));
  });
}

test('a plain-http benchmark (probe, warm-up, run) compiles no WebAssembly: undici\'s llhttp stays out of the client\'s process; forcing undici does compile it', async () => {
  const s = await server();
  try {
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const raw = await wasmCompilesDuringBenchmark(url, 'raw');
    assert.equal(raw.completed, 4);
    assert.equal(raw.compiles, 0, 'the raw transport compiled WebAssembly (undici was used for the probe or the run)');
    // The control: the counter sees undici's parser when undici is used.
    const undici = await wasmCompilesDuringBenchmark(url, 'undici');
    assert.equal(undici.completed, 4);
    assert.ok(undici.compiles > 0, `undici's llhttp compile was not seen (${undici.compiles}): the counter cannot tell`);
  } finally {
    s.close();
  }
});
