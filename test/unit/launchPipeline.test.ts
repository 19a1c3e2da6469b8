import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { gpusPerNode, runPreflight } from '../../src/core/launch/preflight';
import { quickSimulatorProfile } from '../../src/core/launch/quickSimulator';
import { engineArgv } from '../../src/core/engines/engineArgv';
import { classifyLogLine } from '../../src/core/engines/logWatch';
import { ServerRecords } from '../../src/core/launch/serverRecords';
import { HostsList } from '../../src/core/hosts/hostsList';
import type { HostProbe } from '../../src/core/hosts/hostModel';
import type { CommandRunner } from '../../src/core/launch/deployment';
import { normalizeBaseUrl } from '../../src/core/openai/baseUrl';
import { compareVersions } from '../../src/core/util/versions';
import { newTrace, pushChunk, timingsMs } from '../../src/core/bench/trace';
import { calculateMetrics } from '../../src/core/bench/metrics';
import { errorBodyMessage } from '../../src/core/openai/errorBody';
import { listModels } from '../../src/core/openai/models';

const profile = (p: Partial<ProfileInput>): ReturnType<typeof ProfileSchema.parse> => ProfileSchema.parse({ name: 't', engine: { kind: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, runtime: { kind: 'docker' }, ...p });

test('GPUs per node: vLLM world = TP×PP×DP, SGLang TP×PP (DP attention shares the TP GPUs); ÷ nodes', () => {
  assert.equal(gpusPerNode(profile({ parallel: { tp: 1, dp: 8 } })), 8);
  assert.equal(gpusPerNode(profile({ parallel: { tp: 4, pp: 2, dp: 2, nodes: 2 } })), 8);
  assert.equal(gpusPerNode(profile({ engine: { kind: 'sglang' }, parallel: { tp: 8, dp: 8, dpAttention: true } })), 8);
  assert.equal(gpusPerNode(profile({ engine: { kind: 'sglang' }, parallel: { tp: 16, nodes: 2 } })), 8);
  assert.equal(gpusPerNode(profile({ engine: { kind: 'simulator', imitates: 'sglang' }, parallel: { tp: 8, dp: 4 } })), 8);
});

const gpu = (index: number, usedMiB: number, util = 0): HostProbe['gpus'][number] => ({ index, name: 'NVIDIA H200', memoryTotalMiB: 143771, memoryUsedMiB: usedMiB, utilizationPct: util, temperatureC: 30 });
const probe = (gpus: HostProbe['gpus']): HostProbe => ({ os: 'Linux', gpus, probedAt: 0 });
/** A host that answers the pre-flight script with nothing (every host-side check passes vacuously). */
const silent: CommandRunner = { exec: () => Promise.resolve({ code: 0, stdout: '', stderr: '' }) };

test('pre-flight: busy GPUs are reported; enough free ones are offered; too few free is an overridable refusal; too few in all is not', async () => {
  const tp4 = profile({ parallel: { tp: 4 }, runtime: { kind: 'process' } });
  const some = await runPreflight(tp4, probe([gpu(0, 40_000, 97), gpu(1, 5), gpu(2, 5), gpu(3, 5), gpu(4, 5)]), silent);
  assert.deepEqual(some.problems, []);
  assert.deepEqual(some.freeGpus, [1, 2, 3, 4]);
  assert.match(some.notes.join('\n'), /busy GPUs: GPU 0 \(39\/140 GB used, 97%\)/);
  const few = await runPreflight(tp4, probe([gpu(0, 40_000), gpu(1, 5), gpu(2, 5), gpu(3, 5)]), silent);
  assert.deepEqual(few.problems.map((p) => [p.code, p.overridable]), [['gpus-busy', true]]);
  const none = await runPreflight(profile({ parallel: { tp: 1, dp: 8 } }), probe([gpu(0, 5), gpu(1, 5)]), silent);
  assert.deepEqual(none.problems.map((p) => p.code), ['gpus-missing']);
  assert.match(none.problems[0].message, /needs 8 GPUs per node \(TP 1 × PP 1 × DP 8\), the host has 2/);
  const nodriver = await runPreflight(tp4, { ...probe([]), gpuError: 'nvidia-smi not found' }, silent);
  assert.deepEqual(nodriver.problems.map((p) => [p.code, p.overridable]), [['no-gpu', false]]);
  // The simulator needs no GPU; SLURM's GPUs are the compute nodes', not the login host's.
  assert.deepEqual((await runPreflight(profile({ engine: { kind: 'simulator' } }), probe([]), silent)).problems, []);
  assert.deepEqual((await runPreflight(profile({ runtime: { kind: 'slurm' } }), probe([]), silent)).problems, []);
});

test('quick simulator profile: process runtime on local, the chosen port; DeepSeek-V3 (no reasoning) gets no --reasoning-parser, R1 does', () => {
  const v3 = quickSimulatorProfile({ flavor: 'vllm', model: 'deepseek-ai/DeepSeek-V3', port: 41234 });
  assert.equal(v3.host, 'local');
  assert.equal(v3.runtime.kind, 'process');
  const argv = engineArgv(v3, 'serve');
  assert.ok(!argv.includes('--reasoning-parser'), argv.join(' '));
  assert.deepEqual(argv.slice(-2), ['--port', '41234']);
  assert.ok(engineArgv(quickSimulatorProfile({ flavor: 'sglang', model: 'deepseek-ai/DeepSeek-R1', port: 1 }), 'serve').includes('--reasoning-parser'));
  // The catalog decides for any profile, not only the quick one.
  assert.ok(!engineArgv(profile({ model: { id: 'cognitivecomputations/DeepSeek-V3-AWQ' } }), 'serve').includes('--reasoning-parser'));
});

test('readiness lines per engine: SGLang is ready only when "fired up" (its uvicorn start-up line comes before the warm-up)', () => {
  assert.equal(classifyLogLine('INFO:     Application startup complete.', 'sglang')?.kind, 'listening');
  assert.equal(classifyLogLine('INFO:     Application startup complete.', 'vllm')?.kind, 'ready');
  assert.equal(classifyLogLine('[2026-11-30 10:00:00] The server is fired up and ready to roll!', 'sglang')?.kind, 'ready');
  const missing = classifyLogLine("nohup: failed to run command 'vllm': No such file or directory");
  assert.equal(missing?.kind, 'fatal');
  assert.match(missing?.kind === 'fatal' ? missing.message : '', /`vllm` is not installed on the host/);
});

test('server records and the hosts list: shared JSON files (0600), re-read on every call, bad JSON named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-rec-'));
  try {
    const a = new ServerRecords(path.join(dir, 'servers.json'));
    const b = new ServerRecords(path.join(dir, 'servers.json'));
    const p = quickSimulatorProfile({ flavor: 'vllm', model: 'deepseek-ai/DeepSeek-R1', port: 5 });
    a.put({ id: 'local/x', host: 'local', profile: p, port: 5, startedAt: 'now', launchedBy: 'cli' });
    a.put({ id: 'gpu01/y', host: 'gpu01', profile: p, port: 6, startedAt: 'now', launchedBy: 'vscode' });
    assert.deepEqual(b.hosts(), ['local', 'gpu01']);
    b.remove('local/x');
    assert.deepEqual(a.list().map((r) => r.id), ['gpu01/y']);
    assert.equal(fs.statSync(a.file).mode & 0o777, 0o600);
    const h = new HostsList(path.join(dir, 'hosts.json'));
    h.add({ spec: 'dsd-gpu' });
    h.add({ spec: 'me@gpu02:2222', name: 'gpu02' });
    h.add({ spec: 'dsd-gpu' });
    assert.deepEqual(h.list().map((x) => x.spec), ['me@gpu02:2222', 'dsd-gpu']);
    fs.writeFileSync(h.file, '{oops');
    assert.throws(() => h.list(), /hosts\.json: not valid JSON .* fix or delete it/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('one base-URL normaliser and one version comparator', () => {
  assert.equal(normalizeBaseUrl(' http://gpu01:8000/v1/ '), 'http://gpu01:8000');
  assert.equal(normalizeBaseUrl('https://gw.example/prefix/v1'), 'https://gw.example/prefix');
  assert.equal(normalizeBaseUrl('http://127.0.0.1:30000///'), 'http://127.0.0.1:30000');
  assert.throws(() => normalizeBaseUrl('gpu01:8000'), /"gpu01:8000" is not an http\(s\) URL/);
  assert.throws(() => normalizeBaseUrl('ftp://h/'), /not an http\(s\) URL/);
  assert.ok(compareVersions('0.10.0', '0.9.0') > 0);
  assert.ok(compareVersions('v0.9.0', '0.9') === 0);
  assert.ok(compareVersions('0.7.3', '0.9.0') < 0);
  assert.ok(compareVersions('0.10.1rc1', '0.10.0') > 0);
});

test('one TTFT/ITL extraction: the charts\' distributions follow the run\'s metric mode and agree with the tables', () => {
  // A role chunk (no text) at 100 ms, then text at 120, 160, 180: vLLM counts the role chunk, SGLang does not.
  const t = newTrace(0, 100, 3);
  t.startMs = 0;
  for (const [ms, text] of [[100, false], [120, true], [160, true], [180, true]] as const) pushChunk(t, ms, text);
  t.lastLineMs = 190;
  t.usageCompletionTokens = 3;
  t.success = true;
  assert.deepEqual(timingsMs([t], 'vllm'), { ttftsMs: [100], itlsMs: [20, 40, 20] });
  assert.deepEqual(timingsMs([t], 'sglang'), { ttftsMs: [120], itlsMs: [40, 20] });
  for (const mode of ['vllm', 'sglang'] as const) {
    const m = calculateMetrics([t], 1, { percentiles: [50], mode });
    const d = timingsMs([t], mode);
    assert.ok(Math.abs(m.summaries.ttft.mean - d.ttftsMs[0]) < 1e-9, `${mode}: ${m.summaries.ttft.mean} vs ${d.ttftsMs[0]}`);
    assert.ok(Math.abs(m.summaries.itl.mean - d.itlsMs.reduce((a, b) => a + b, 0) / d.itlsMs.length) < 1e-9, mode);
  }
});

test('one error-body parser: vLLM nested, vLLM < 0.10.1 / SGLang flat, string error, non-JSON text', () => {
  assert.equal(errorBodyMessage('{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","code":404}}'), 'The model `x` does not exist.');
  assert.equal(errorBodyMessage('{"object":"error","message":"max_tokens is too large","type":"BadRequestError","code":400}'), 'max_tokens is too large');
  assert.equal(errorBodyMessage('{"error":"Unauthorized"}'), 'Unauthorized');
  assert.equal(errorBodyMessage('<html>502 Bad Gateway</html>'), '<html>502 Bad Gateway</html>');
  assert.equal(errorBodyMessage('null'), 'null');
  assert.equal(errorBodyMessage('x'.repeat(1000)).length, 300);
});

test('the /v1/models client reaches servers on ports WHATWG fetch refuses (6000, 6665–6669, 10080) and names a refused connection', async () => {
  const http = await import('node:http');
  const srv = http.createServer((_req, res) => res.end('{"object":"list","data":[{"id":"deepseek-ai/DeepSeek-R1"}]}'));
  let port = 0;
  for (const p of [6000, 6665, 6666, 6667, 6668, 6669, 10080]) {
    if (await new Promise<boolean>((res) => srv.once('error', () => res(false)).listen(p, '127.0.0.1', () => res(true)))) {
      port = p;
      break;
    }
  }
  assert.ok(port, 'one of fetch\'s bad ports is free here');
  try {
    assert.deepEqual(await listModels(`http://127.0.0.1:${port}/v1`), { models: ['deepseek-ai/DeepSeek-R1'], roots: ['deepseek-ai/DeepSeek-R1'], simulated: false });
  } finally {
    srv.close();
  }
  await assert.rejects(listModels('http://127.0.0.1:1'), /Cannot reach http:\/\/127\.0\.0\.1:1\/v1\/models: ECONNREFUSED/);
});
