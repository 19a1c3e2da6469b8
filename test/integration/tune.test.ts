import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { TuneResult } from '../../src/core/tune/tuneResult';

// `deepseek-deploy tune` as a user runs it (node dist/cli.js), against the simulator: on this machine (process
// runtime), on the test SSH host (power from its fake nvidia-smi over the same connection) and as SLURM jobs on the
// test cluster. Only knobs the simulator's engine model reacts to are searched (max-num-seqs; a TP 4 layout that the
// planner must reject). The expected best is computed here from the calibration table's numbers, read as data.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-tune-'));
const run = path.join(dir, 'run');
after(async () => {
  // A failed test must not leave its servers running: stop whatever is still recorded, then remove the folder.
  for (const r of records()) await cli(['stop', r.id]).done;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The simulator's vLLM FP8 8×H200 row (calibration.ts), as numbers: step = base + perSeq × running (ms). */
const CAL = (() => {
  const text = fs.readFileSync(path.join(ROOT, 'src/simulator/calibration.ts'), 'utf8');
  const m = /vllmH200x8: \{[^}]*baseMs: ([\d.]+), perSeqMs: ([\d.]+)/.exec(text);
  assert.ok(m, 'calibration row vllmH200x8 not found');
  return { baseMs: Number(m[1]), perSeqMs: Number(m[2]) };
})();

interface Cli { child: ChildProcess; stderr: () => string; done: Promise<{ code: number | null; stdout: string; stderr: string }> }

function cli(args: string[], cwd = dir): Cli {
  const ssh = args[0] === 'bench' ? [] : ['--ssh-config', path.join(INFRA, 'ssh_config'), '--known-hosts', path.join(INFRA, 'known_hosts')];
  const child = spawn(process.execPath, [CLI, ...args, ...ssh], { cwd, env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg'), PATH: '/usr/bin:/bin' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, stderr: () => stderr, done };
}

async function until(what: string, cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(p));
  });
});

/** A spec file: the simulator (vLLM dialect, DeepSeek-R1 on 8×H200) as the base, plus `rest` lines. */
function spec(name: string, o: { host?: string; runtime?: string; port: number }, rest: string[]): string {
  const f = path.join(dir, `${name}.tune.yaml`);
  fs.writeFileSync(f, [
    `name: ${name}`,
    'base:',
    '  inline:',
    `    name: ${name}-base`,
    `    host: ${o.host ?? 'local'}`,
    '    engine: {kind: simulator, imitates: vllm}',
    '    model: {id: deepseek-ai/DeepSeek-R1}',
    '    parallel: {tp: 8}',
    `    knobs: {port: ${o.port}}`,
    `    runtime: ${o.runtime ?? `{kind: process, workdir: ${run}}`}`,
    'gpus: 8xH200-141GB',
    'simulator: {speed: 1, startupSpeed: 1000}',
    'workload: {inputLen: 32, outputLen: 32, numPrompts: 8, promptsPerUnitLoad: 3, warmups: 1}',
    ...rest,
    '',
  ].join('\n'));
  return f;
}

const readResult = (name: string): TuneResult | undefined => {
  const base = path.join(dir, '.deepseek/tuning');
  const runs = fs.existsSync(base) ? fs.readdirSync(base).filter((n) => n.startsWith(`${name}-`)).sort() : [];
  if (!runs.length) return undefined;
  try {
    return JSON.parse(fs.readFileSync(path.join(base, runs[runs.length - 1], 'tune.json'), 'utf8')) as TuneResult;
  } catch {
    return undefined; // being rewritten
  }
};

/** Engines of this test's profiles (process runtime: `<workdir>/<profile>.pid`) whose process is still alive. */
const simulators = (prefix: string): string[] => (fs.existsSync(run) ? fs.readdirSync(run) : []).filter((n) => n.startsWith(prefix) && n.endsWith('.pid')).filter((n) => {
  const pid = fs.readFileSync(path.join(run, n), 'utf8').trim();
  return pid !== '' && fs.existsSync(`/proc/${pid}`);
});
const records = (): Array<{ id: string }> => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'xdg/deepseek-deploy/servers.json'), 'utf8')) as Array<{ id: string }>;
  } catch {
    return [];
  }
};

/** Highest concurrency meeting "mean TPOT ≤ limit" and "no request queued" (max-num-seqs), from the calibration. */
const predictedMax = (maxNumSeqs: number, tpotLimitMs: number): number => Math.min(maxNumSeqs, Math.floor((tpotLimitMs - CAL.baseMs) / CAL.perSeqMs));
const tokPerSecPerGpu = (c: number): number => (c * 1000) / (CAL.baseMs + CAL.perSeqMs * c) / 8;

test('process runtime: picks the configuration the engine model makes best for the SLO; misfits never launched; answer meets the SLO, one above does not (re-measured)', { timeout: 600_000 }, async () => {
  const port = await freePort();
  // The TPOT limit sits half a step between two concurrencies, so the boundary is clear of measurement noise.
  const tpotLimit = CAL.baseMs + CAL.perSeqMs * 12.5;
  const f = spec('tsel', { port }, [
    'search: {parallel: [{tp: 8}, {tp: 4}], maxNumSeqs: [3, 6, 48]}',
    'load: {kind: concurrency, start: 1, max: 64, maxPoints: 10}',
    'slo:',
    '  - {metric: ttft, stat: p99, maxMs: 400}',
    `  - {metric: tpot, stat: mean, maxMs: ${tpotLimit}}`,
    'confidence: {level: 0.95, relativeWidth: 0.05, maxRepeats: 1}',
    'objective: outputTokPerSecPerGpu',
    'pricePerGpuHour: 2',
  ]);
  const t0 = Date.now();
  const r = await cli(['tune', f, '--json']).done;
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as TuneResult;
  process.stderr.write(`# tune tsel: ${((Date.now() - t0) / 1000).toFixed(1)} s, timing ${JSON.stringify(res.timing)}\n`);
  const seqs = [3, 6, 48];
  const expected = seqs.reduce((a, b) => (tokPerSecPerGpu(predictedMax(b, tpotLimit)) > tokPerSecPerGpu(predictedMax(a, tpotLimit)) ? b : a));
  assert.equal(res.best?.params.maxNumSeqs, expected, res.bestReason);
  assert.equal(res.best?.params.parallel, 'tp8');
  for (const c of res.candidates) {
    for (const k of ['params', 'fits', 'maxLoadMeetingSlo', 'goodputPerGpu', 'outputTokPerSecPerGpu', 'usdPerMTokOutput', 'usdPerMTokTotal', 'joulesPerOutputToken', 'runs']) assert.ok(k in c, k);
    if (c.params.parallel === 'tp4') {
      assert.equal(c.fits, false);
      assert.match(c.fitReason, /weights do not fit/);
      assert.deepEqual(c.runs, []);
      assert.ok(!fs.existsSync(path.join(run, `${c.profileName}.log`)), `${c.profileName} was launched`);
      continue;
    }
    const m = c.params.maxNumSeqs as number;
    const want = predictedMax(m, tpotLimit);
    // Queueing (max-num-seqs) is an exact boundary; the TPOT one is within one request of the model's.
    if (want === m) assert.deepEqual(c.maxLoadMeetingSlo, { kind: 'concurrency', value: m }, c.id);
    else assert.ok(Math.abs(c.maxLoadMeetingSlo!.value - want) <= 1, `${c.id}: ${c.maxLoadMeetingSlo?.value} vs ${want}`);
    const at = c.runs.filter((x) => x.load.value === c.maxLoadMeetingSlo!.value);
    const above = c.runs.filter((x) => x.load.value === c.maxLoadMeetingSlo!.value + 1);
    assert.ok(at.length && at.every((x) => x.sloPass), `${c.id} answer passes`);
    assert.ok(above.length && !above[above.length - 1].sloPass, `${c.id}: one above was measured and failed`);
    // $/Mtok from price × GPUs × time over the answer's runs.
    const dur = at.reduce((a, x) => a + x.durationS, 0);
    const out = at.reduce((a, x) => a + x.outputTokens, 0);
    assert.ok(Math.abs(c.usdPerMTokOutput! - (2 * 8 * dur) / 3600 / (out / 1e6)) < 1e-9);
    // Every run is a normal benchmark result file.
    for (const x of c.runs) {
      const saved = JSON.parse(fs.readFileSync(path.join(dir, '.deepseek/tuning', res.runId, x.resultFile), 'utf8')) as { completed: number; max_concurrency: number; deepseek_deploy: { simulated: boolean } };
      assert.equal(saved.completed, x.completed);
      assert.equal(saved.max_concurrency, x.load.value);
      assert.equal(saved.deepseek_deploy.simulated, true);
    }
  }
  assert.equal(res.launches, 3);
  assert.deepEqual(simulators('tsel-'), []);

  // Re-measure the queueing boundary of max-num-seqs 6 on a fresh server: 6 meets the SLO, 7 does not.
  const c6 = res.candidates.find((c) => c.params.maxNumSeqs === 6 && c.fits)!;
  const p2 = await freePort();
  const prof = path.join(dir, 'remeasure.deepseek.yaml');
  fs.writeFileSync(prof, ['name: tsel-remeasure', 'engine: {kind: simulator, imitates: vllm}', 'model: {id: deepseek-ai/DeepSeek-R1}', 'parallel: {tp: 8}', `knobs: {port: ${p2}, maxNumSeqs: 6}`, `runtime: {kind: process, workdir: ${run}}`, ''].join('\n'));
  const l = await cli(['launch', prof, '--startup-speed', '1000']).done;
  assert.equal(l.code, 0, l.stderr);
  try {
    for (const [c, pass] of [[c6.maxLoadMeetingSlo!.value, true], [c6.maxLoadMeetingSlo!.value + 1, false]] as const) {
      const b = await cli(['bench', '--base-url', `http://127.0.0.1:${p2}`, '--dataset-name', 'random', '--random-input-len', '32', '--random-output-len', '32', '--num-prompts', String(3 * c), '--max-concurrency', String(c), '--ignore-eos', '--percentile-metrics', 'ttft,tpot', '--metric-percentiles', '99', '--save-result', '--result-dir', dir, '--result-filename', `re-${c}.json`]).done;
      assert.equal(b.code, 0, b.stderr);
      const j = JSON.parse(fs.readFileSync(path.join(dir, `re-${c}.json`), 'utf8')) as { p99_ttft_ms: number; mean_tpot_ms: number };
      assert.equal(j.p99_ttft_ms <= 400 && j.mean_tpot_ms <= tpotLimit, pass, `concurrency ${c}: ${JSON.stringify(j)}`);
    }
  } finally {
    await cli(['stop', 'local/tsel-remeasure']).done;
  }
});

test('resume after killing the CLI mid-search: no finished run repeated, the server it left is adopted and then stopped', { timeout: 600_000 }, async () => {
  const port = await freePort();
  const f = spec('tres', { port }, ['search: {maxNumSeqs: [4, 8]}', 'load: {kind: concurrency, start: 1, max: 16}', 'slo:', '  - {metric: ttft, stat: p99, maxMs: 400}', 'confidence: {maxRepeats: 0}']);
  const first = cli(['tune', f]);
  await until('3 finished runs of c0', () => (readResult('tres')?.candidates[0].runs.length ?? 0) >= 3);
  first.child.kill('SIGKILL');
  await first.done;
  const before = readResult('tres')!;
  const saved = new Map(before.candidates.flatMap((c) => c.runs).map((x) => [x.id, x.startedAt]));
  assert.ok(records().some((x) => x.id === 'local/tres-c0'), 'the killed CLI left its server recorded');
  assert.equal(simulators('tres-c0').length > 0, true, 'and running');
  const r = await cli(['tune', f, '--resume', '--json']).done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[c0\] adopting local\/tres-c0, left running by an interrupted run/);
  const res = JSON.parse(r.stdout) as TuneResult;
  assert.equal(res.runId, before.runId);
  const all = res.candidates.flatMap((c) => c.runs);
  assert.equal(new Set(all.map((x) => x.id)).size, all.length, 'no run twice');
  for (const [id, at] of saved) assert.equal(all.find((x) => x.id === id)?.startedAt, at, `${id} was repeated`);
  assert.equal(fs.readdirSync(path.join(dir, '.deepseek/tuning', res.runId, 'runs')).length, all.length);
  assert.equal(res.launches, 2, 'c0 adopted (launched once, before the kill), c1 launched');
  assert.deepEqual(res.candidates.map((c) => c.maxLoadMeetingSlo?.value), [4, 8]);
  assert.equal(res.best?.params.maxNumSeqs, 8);
  assert.deepEqual(simulators('tres-'), []);
  assert.ok(!records().some((x) => x.id.startsWith('local/tres-')));
});

test('cancel (Ctrl-C) mid-search stops the server it started: nothing left running or recorded', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const f = spec('tcan', { port }, ['search: {maxNumSeqs: [8]}', 'load: {kind: concurrency, start: 1, max: 64}', 'slo:', '  - {metric: ttft, stat: p99, maxMs: 400}']);
  const c = cli(['tune', f]);
  await until('the first run', () => /\[c0\] concurrency 1:/.test(c.stderr()));
  c.child.kill('SIGINT');
  const r = await c.done;
  assert.equal(r.code, 130, r.stderr);
  assert.equal(readResult('tcan')?.state, 'cancelled');
  assert.deepEqual(simulators('tcan-'), []);
  assert.ok(!records().some((x) => x.id.startsWith('local/tcan-')));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/models`));
});

test('SSH host: energy per run is the integral of the fake nvidia-smi power readings (a ramp) sampled over the same connection', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const rampFile = '/home/dsd-gpu/.dsd-fake-power';
  const t0 = Date.now() / 1000;
  // GPU i draws 300 + 10 i + 20 (t − t0) W: linear, so the integral is known exactly.
  fs.writeFileSync(rampFile, `${t0.toFixed(3)} 300 20\n`, { mode: 0o644 });
  try {
    const f = spec('tpow', { port, host: 'dsd-gpu', runtime: '{kind: process}' }, ['search: {maxNumSeqs: [8]}', 'load: {kind: concurrency, start: 1, max: 2}', 'slo:', '  - {metric: ttft, stat: p99, maxMs: 5000}', 'energy: {intervalMs: 200}', 'pricePerGpuHour: 1']);
    const r = await cli(['tune', f, '--json']).done;
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as TuneResult;
    const c = res.candidates[0];
    assert.equal(c.runs.length, 2);
    const exact = (a: number, b: number): number => (8 * 300 + 10 * 28) * (b - a) + (8 * 20 * ((b - t0) ** 2 - (a - t0) ** 2)) / 2;
    for (const x of c.runs) {
      const a = Date.parse(x.startedAt) / 1000;
      const e = exact(a, a + x.durationS);
      assert.ok(x.energyJ !== null && Math.abs(x.energyJ - e) <= 0.001 * e, `${x.id}: ${x.energyJ} J vs ∫ = ${e} J`);
      process.stderr.write(`# ${x.id}: ${x.energyJ} J, ∫ = ${e} J\n`);
      assert.ok(x.powerSamples >= 2, `${x.powerSamples} readings in the run`);
    }
    const best = c.runs.filter((x) => x.load.value === 2);
    assert.ok(Math.abs(c.joulesPerOutputToken! - best.reduce((a, x) => a + x.energyJ!, 0) / best.reduce((a, x) => a + x.outputTokens, 0)) < 1e-9);
  } finally {
    fs.rmSync(rampFile, { force: true });
  }
});

const squeue = (): string => execFileSync('squeue', ['-h', '-o', '%j|%T'], { encoding: 'utf8', env: { ...process.env, SLURM_CONF: path.join(INFRA, 'slurm/slurm.conf') } });
/** Jobs of this test still in the queue, after giving scancel'ed ones (COMPLETING) up to 15 s to leave it. */
async function jobsLeft(prefix: string): Promise<string> {
  for (let i = 0; i < 60 && squeue().includes(prefix); i++) await new Promise((r) => setTimeout(r, 250));
  return squeue().split('\n').filter((l) => l.includes(prefix)).join('\n');
}

test('SLURM on the test cluster: the search picks the best max-num-seqs; a cancelled search leaves no job', { timeout: 600_000 }, async () => {
  const port = await freePort();
  const f = spec('tslm', { port, host: 'dsd-gpu', runtime: '{kind: slurm, gpusPerNode: 8}' }, ['search: {maxNumSeqs: [2, 5]}', 'load: {kind: concurrency, start: 1, max: 8}', 'slo:', '  - {metric: ttft, stat: p99, maxMs: 400}', 'confidence: {maxRepeats: 0}']);
  const r = await cli(['tune', f, '--json']).done;
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as TuneResult;
  assert.deepEqual(res.candidates.map((c) => c.maxLoadMeetingSlo?.value), [2, 5]);
  const expected = [2, 5].reduce((a, b) => (tokPerSecPerGpu(b) > tokPerSecPerGpu(a) ? b : a));
  assert.equal(res.best?.params.maxNumSeqs, expected);
  assert.equal(res.candidates[0].joulesPerOutputToken, null, 'no power from the login node for GPUs on the job\'s nodes');
  assert.equal(await jobsLeft('dsd-tslm-'), '');

  const c = cli(['tune', f]);
  await until('the first run', () => /\[c0\] concurrency 1:/.test(c.stderr()), 180_000);
  c.child.kill('SIGINT');
  const cancelled = await c.done;
  assert.equal(cancelled.code, 130, cancelled.stderr);
  assert.equal(await jobsLeft('dsd-tslm-'), '');
  assert.ok(!records().some((x) => x.id.startsWith('dsd-gpu/tslm-')));
});
