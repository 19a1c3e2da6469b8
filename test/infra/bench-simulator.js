// `npm run bench` (simulator part): how late the simulator writes each token chunk against its schedule when a
// benchmark client reads hundreds of concurrent streams on the same machine, against a naive timer-per-stream Node
// server measured in the same run (the peer in shared/reference/peer-bench.md). Client: one undici Pool, C workers.
'use strict';
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Pool } = require('undici');
const { ROOT } = require('./codeServer');

const TTFT_MS = 100;
const ITL_MS = 20;

function startProcess(args, readyPattern) {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s:\n${out.slice(-2000)}`)), 60_000);
    const onData = (d) => {
      out += d;
      if (readyPattern.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${out.slice(-2000)}`)));
  });
}

async function getJson(pool, p) {
  const r = await pool.request({ path: p, method: 'GET' });
  return JSON.parse(await r.body.text());
}

/** One streamed completion; returns the number of token chunks received. */
async function streamOne(pool, body) {
  const r = await pool.request({ path: '/v1/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${await r.body.text()}`);
  const dec = new TextDecoder();
  let buf = '';
  let chunks = 0;
  let done = false;
  for await (const part of r.body) {
    buf += dec.decode(part, { stream: true });
    let k;
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, k);
      buf = buf.slice(k + 2);
      if (ev === 'data: [DONE]') done = true;
      else if (ev.startsWith('data: ')) {
        const j = JSON.parse(ev.slice(6));
        if (j.error) throw new Error(`stream error: ${JSON.stringify(j.error)}`);
        if (j.choices && j.choices.length) chunks++;
      }
    }
  }
  if (!done) throw new Error('stream ended without [DONE]');
  return chunks;
}

/**
 * Drives `requests` streams of `outputTokens` tokens with C workers over C warm keep-alive connections.
 * window [fromS, toS]: lateness counted only for tokens written in that span of the run (steady state: every stream
 * mid-answer, no arrivals or completions); without it, the whole run including wave changes.
 */
async function drive(port, { concurrency, requests, outputTokens, window }) {
  const model = 'deepseek-ai/DeepSeek-R1';
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const body = JSON.stringify({ model, prompt: Array.from({ length: 16 }, (_, i) => 1000 + i), max_tokens: outputTokens, ignore_eos: true, stream: true });
  // Warm-up: open all C keep-alive connections with 1-token requests, as a benchmark's warm-up does, so the measured
  // part times streaming rather than a TCP accept storm.
  const warm = JSON.stringify({ model, prompt: [1000, 1001], max_tokens: 1, stream: true });
  await Promise.all(Array.from({ length: concurrency }, () => streamOne(pool, warm)));
  const control = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  await getJson(control, '/_simulator/timing?reset=1');
  let before = await getJson(control, '/_simulator/timing');
  let clientCpu0 = process.cpuUsage();
  const t0 = performance.now();
  let windowed;
  if (window) {
    windowed = (async () => {
      await new Promise((r) => setTimeout(r, window[0] * 1000));
      await getJson(control, '/_simulator/timing?reset=1');
      before = await getJson(control, '/_simulator/timing');
      clientCpu0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, (window[1] - window[0]) * 1000));
      return { after: await getJson(control, '/_simulator/timing'), clientCpu: process.cpuUsage(clientCpu0), spanS: window[1] - window[0] };
    })();
  }
  let next = 0;
  let errors = 0;
  let chunks = 0;
  const firstErrors = [];
  const worker = async () => {
    while (next < requests) {
      next++;
      try {
        const n = await streamOne(pool, body);
        chunks += n;
        if (n !== outputTokens) throw new Error(`got ${n} of ${outputTokens} chunks`);
      } catch (e) {
        errors++;
        if (firstErrors.length < 3) firstErrors.push(String(e.message || e));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallS = (performance.now() - t0) / 1000;
  const measured = windowed ? await windowed : { after: await getJson(control, '/_simulator/timing'), clientCpu: process.cpuUsage(clientCpu0), spanS: wallS };
  await pool.close();
  await control.close();
  const serverCpuS = (measured.after.cpuUserMs + measured.after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs) / 1000;
  return {
    concurrency, requests, outputTokens, measured: window ? `tokens written ${window[0]}–${window[1]} s into the run` : 'whole run', errors, firstErrors, chunks,
    wallS: +wallS.toFixed(2), chunksPerS: Math.round(chunks / wallS), latenessMs: measured.after.latenessMs, tokensMeasured: measured.after.tokens,
    serverCpuPct: +((100 * serverCpuS) / measured.spanS).toFixed(1),
    clientCpuPct: +((100 * (measured.clientCpu.user + measured.clientCpu.system)) / 1e6 / measured.spanS).toFixed(1),
  };
}

const STEADY = { concurrency: 512, requests: 512, outputTokens: 250, window: [1.5, 4.5] };
const WAVES = { concurrency: 512, requests: 1024, outputTokens: 100 };
const WIDE = { concurrency: 1024, requests: 2048, outputTokens: 100 };

async function benchSimulator() {
  const port = 18431;
  const simArgs = ['dist/cli.js', 'simulate', '--speed', '1000', '--exact-ttft-ms', String(TTFT_MS), '--exact-itl-ms', String(ITL_MS), '--expose-timing', '--', 'vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--port', String(port), '--tensor-parallel-size', '8'];
  const naiveArgs = [path.join(__dirname, 'naive-sse-server.js'), String(port + 1), String(TTFT_MS), String(ITL_MS)];
  const sim = {};
  const naive = {};
  const simProc = await startProcess(simArgs, /Application startup complete/);
  try {
    sim.steady512 = await drive(port, STEADY);
    sim.waves512 = await drive(port, WAVES);
    sim.waves1024 = await drive(port, WIDE);
  } finally {
    simProc.kill('SIGTERM');
  }
  const naiveProc = await startProcess(naiveArgs, /ready/);
  try {
    naive.steady512 = await drive(port + 1, STEADY);
    naive.waves512 = await drive(port + 1, WAVES);
  } finally {
    naiveProc.kill('SIGTERM');
  }
  return {
    schedule: { ttftMs: TTFT_MS, itlMs: ITL_MS, note: 'lateness = actual write − scheduled write, measured in the server; one undici Pool client on the same machine; exact timing mode (--exact-ttft-ms/--exact-itl-ms) on the engine clock' },
    simulator: sim,
    naiveTimerPerStream: naive,
    p99RatioVsNaive: { steady512: ratio(sim.steady512, naive.steady512), waves512: ratio(sim.waves512, naive.waves512) },
    targets: { steadyP99LatenessMs: 5, errorsAt1024: 0 },
    meetsTargets: { steadyP99Lateness512: sim.steady512.latenessMs.p99 <= 5, noErrors1024: sim.waves1024.errors === 0 },
  };
}

const ratio = (a, b) => +(a.latenessMs.p99 / Math.max(0.1, b.latenessMs.p99)).toFixed(2);

module.exports = { benchSimulator };

if (require.main === module) {
  benchSimulator().then((r) => {
    const fs = require('node:fs');
    const date = new Date().toISOString();
    const file = path.join(ROOT, 'bench-results', `simulator-${date.replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ date, node: process.version, ...r }, null, 2));
    const line = (name, x) => console.log(`${name.padEnd(34)} p50 ${x.latenessMs.p50.toFixed(1).padStart(6)} ms  p99 ${x.latenessMs.p99.toFixed(1).padStart(6)} ms  max ${x.latenessMs.max.toFixed(1).padStart(6)} ms  ${String(x.chunksPerS).padStart(6)} chunks/s  errors ${x.errors}  server CPU ${x.serverCpuPct}%  client CPU ${x.clientCpuPct}%`);
    console.log(`simulator token lateness (exact TTFT ${r.schedule.ttftMs} ms, ITL ${r.schedule.itlMs} ms; actual write − schedule):`);
    for (const [k, v] of Object.entries(r.simulator)) line(`  simulator ${k}`, v);
    for (const [k, v] of Object.entries(r.naiveTimerPerStream)) line(`  naive timer-per-stream ${k}`, v);
    console.log(`  p99 ratio simulator/naive: steady ${r.p99RatioVsNaive.steady512}, waves ${r.p99RatioVsNaive.waves512}; steady p99 ≤ 5 ms: ${r.meetsTargets.steadyP99Lateness512}; 1024 streams without errors: ${r.meetsTargets.noErrors1024}`);
    console.log(`wrote ${path.relative(ROOT, file)}`);
  }, (e) => { console.error(e); process.exit(1); });
}
