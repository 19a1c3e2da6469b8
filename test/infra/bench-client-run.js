// One benchmark-client measurement in its own process (so its CPU is the client's alone): `ours` runs the product's
// runBenchmark (dist/bench.js) exactly as `deepseek-deploy bench` does; `naive` is the control: a plain undici loop
// (Pool, for-await over the body, TextDecoder, split on "\n\n", performance.now() per message, JSON.parse).
'use strict';
const path = require('node:path');
const { Pool } = require(path.resolve(__dirname, '../../node_modules/undici'));
const [, , client, url, conc, n, firehose] = process.argv;
const C = Number(conc);
const N = Number(n);
const offset = () => Number(process.hrtime.bigint()) / 1e6 - performance.now();

async function ours() {
  const { runBenchmark } = require(path.resolve(__dirname, '../../dist/bench.js'));
  // CPU of the run phase only (from the first request to the last response, before metrics), the same window as the
  // naive control's (which also leaves its set-up and warm-up out); probe, warm-up and connecting are not per chunk.
  let cpu0 = process.cpuUsage();
  let c;
  const run = await runBenchmark({
    baseUrl: url, endpoint: firehose ? `/v1/completions?firehose=${firehose}` : undefined, backend: 'openai', model: 'm',
    random: { numPrompts: N, inputLen: 16, outputLen: 24, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, burstiness: 1,
    maxConcurrency: C, numWarmups: 1, ignoreEos: true, percentileMetrics: ['ttft', 'tpot', 'itl'], metricPercentiles: [99], mode: 'vllm', label: 'r',
  }, { onPhase: (p) => { if (p === 'run') cpu0 = process.cpuUsage(); else if (p === 'done') c = process.cpuUsage(cpu0); } });
  const off = offset();
  return {
    cpuMs: (c.user + c.system) / 1000, userMs: c.user / 1000, sysMs: c.system / 1000, wallS: run.durationS, failed: run.metrics.failed, heapMB: process.memoryUsage().heapUsed / 1048576, rssMB: process.memoryUsage().rss / 1048576,
    traces: run.traces.map((t) => ({ id: `r-${t.index}`, start: t.startMs + off, times: Array.from(t.chunkTimes.subarray(0, t.chunks), (x) => x + off) })),
  };
}

async function naive() {
  const pool = new Pool(url, { connections: C });
  const p = firehose ? `/v1/completions?firehose=${firehose}` : '/v1/completions';
  const one = async (id) => {
    const times = [];
    const st = performance.now();
    const res = await pool.request({ method: 'POST', path: p, headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ model: 'm', prompt: [1, 2, 3], max_tokens: 24, stream: true }) });
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const m = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const now = performance.now();
        if (!m.startsWith('data: ') || m === 'data: [DONE]') continue;
        const j = JSON.parse(m.slice(6));
        if (j.choices && j.choices.length) times.push(now);
      }
    }
    return { id, start: st, times };
  };
  await one('warm');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const out = [];
  await Promise.all(Array.from({ length: C }, async () => { while (next < N) { const i = next++; out[i] = await one(`r-${i}`); } }));
  const c = process.cpuUsage(cpu0);
  const off = offset();
  await pool.close();
  return { cpuMs: (c.user + c.system) / 1000, userMs: c.user / 1000, sysMs: c.system / 1000, wallS: (performance.now() - t0) / 1000, failed: 0, heapMB: process.memoryUsage().heapUsed / 1048576, rssMB: process.memoryUsage().rss / 1048576, traces: out.map((t) => ({ id: t.id, start: t.start + off, times: t.times.map((x) => x + off) })) };
}

(client === 'ours' ? ours() : naive()).then((r) => { process.stdout.write(JSON.stringify(r), () => process.exit(0)); }, (e) => { console.error(e); process.exit(1); });
