// `npm run bench`: the quick simulator ("Simulator on This machine") through the one launch pipeline, launch → ready
// (ready line, /v1/models 200, a 1-token request) at startupSpeed 1000, 10 times per dialect; p50/p99 against the
// 2 s target. Also the cost of re-discovery's host round trip on this machine. Writes bench-results/launch-<ts>.json.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const ROOT = path.resolve(__dirname, '../..');

const RUNS = Number(process.env.BENCH_RUNS || 10);
const TARGET_MS = 2000;
const api = require(path.join(ROOT, 'dist/launch.js'));

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); const i = (s.length - 1) * p; const lo = Math.floor(i); return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo); };

async function freePort() {
  const net = require('node:net');
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-bench-launch-'));
  const deps = { localSimulator: { command: [process.execPath, path.join(ROOT, 'dist/cli.js')] }, records: new api.ServerRecords(path.join(dir, 'servers.json')), launchedBy: 'cli' };
  const result = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: RUNS, targetMs: TARGET_MS, dialects: {} };
  try {
    for (const flavor of ['vllm', 'sglang']) {
      const ms = [];
      for (let i = 0; i < RUNS; i++) {
        const port = await freePort();
        const profile = api.quickSimulatorProfile({ flavor, model: 'deepseek-ai/DeepSeek-R1', port });
        const t0 = performance.now();
        const prep = await api.prepareLaunch({ profile, simulatorOptions: ['--startup-speed', '1000'] }, deps);
        const h = await api.startLaunch(prep, deps);
        ms.push(performance.now() - t0);
        await h.stop();
      }
      result.dialects[flavor] = { p50Ms: pct(ms, 0.5), p99Ms: pct(ms, 0.99), ms, meetsTarget: pct(ms, 0.99) <= TARGET_MS };
      console.log(`quick simulator (${flavor}) launch → ready, ${RUNS} runs: p50 ${pct(ms, 0.5).toFixed(0)} ms, p99 ${pct(ms, 0.99).toFixed(0)} ms [target ≤ ${TARGET_MS} ms]`);
    }
    const t0 = performance.now();
    await api.listManagedServers(['local'], deps);
    result.rediscoveryLocalMs = performance.now() - t0;
    console.log(`re-discovery of managed servers on this machine (runs after activate returns): ${result.rediscoveryLocalMs.toFixed(0)} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
  const file = path.join(ROOT, 'bench-results', `launch-${result.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
