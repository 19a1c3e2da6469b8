// `npm run bench`: Tune Deployment on the simulator (process runtime on this machine, startup speed 1000): a 3×3 grid
// (max-num-seqs × max-num-batched-tokens) with 4 load points each, through `deepseek-deploy tune --json` as a user runs
// it. Reports wall time against the 10-minute target and the tuner's own overhead (wall − launches − benchmark
// traffic, from the result's timing) against the 5% target. Writes bench-results/tune-<ts>.json.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const ROOT = path.resolve(__dirname, '../..');

const freePort = () => new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-bench-tune-'));
  const port = await freePort();
  const spec = path.join(dir, 'grid.tune.yaml');
  fs.writeFileSync(spec, [
    'name: grid',
    'base:',
    '  inline:',
    '    name: grid-base',
    '    engine: {kind: simulator, imitates: vllm}',
    '    model: {id: deepseek-ai/DeepSeek-R1}',
    `    knobs: {port: ${port}}`,
    `    runtime: {kind: process, workdir: ${path.join(dir, 'run')}}`,
    'simulator: {speed: 1, startupSpeed: 1000}',
    'search: {maxNumSeqs: [8, 16, 32], maxNumBatchedTokens: [2048, 4096, 8192]}',
    'workload: {inputLen: 64, outputLen: 64, numPrompts: 4, promptsPerUnitLoad: 4, warmups: 1}',
    // SLOs every point meets: the search doubles 1, 2, 4, 8 and stops at maxPoints (4 load points per configuration).
    'load: {kind: concurrency, start: 1, max: 1024, maxPoints: 4}',
    'slo:',
    '  - {metric: ttft, stat: p99, maxMs: 60000}',
    'confidence: {maxRepeats: 0}',
    'pricePerGpuHour: 3.5',
    '',
  ].join('\n'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'tune', spec, '--json'], { cwd: dir, env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg') }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallS = (performance.now() - t0) / 1000;
  try {
    if (r.status !== 0) throw new Error(`tune failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const res = JSON.parse(r.stdout);
    const runs = res.candidates.reduce((a, c) => a + c.runs.length, 0);
    const overheadPct = (100 * res.timing.overheadS) / res.timing.wallS;
    const result = {
      date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(),
      grid: '3x3 (maxNumSeqs × maxNumBatchedTokens), 4 load points each', candidates: res.candidates.length, runs, launches: res.launches,
      processWallS: wallS, timing: res.timing, overheadPct, targets: { wallS: 600, overheadPct: 5 },
      meetsTargets: wallS <= 600 && overheadPct <= 5, best: res.best && res.best.params,
    };
    console.log(`tune 3×3 grid, 4 load points each (${runs} runs, ${res.launches} launches) at startup speed 1000: wall ${wallS.toFixed(1)} s [target ≤ 600 s]; launches ${res.timing.launchS.toFixed(1)} s, benchmark traffic ${res.timing.benchS.toFixed(1)} s, tuner ${res.timing.overheadS.toFixed(2)} s = ${overheadPct.toFixed(2)}% [target ≤ 5%]; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    fs.mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
    const file = path.join(ROOT, 'bench-results', `tune-${result.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`wrote ${path.relative(ROOT, file)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
