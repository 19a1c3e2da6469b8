import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { resolveTarget } from '../../src/core/ssh/resolveTarget';
import { loadSshConfigHosts } from '../../src/core/ssh/resolveTarget';

// The one launch pipeline through the CLI as a user runs it from a clone (node dist/cli.js, no global install):
// simulator profiles on this machine, pre-flight refusals on the test hosts, ps/logs/stop by id, no leftovers.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-pipeline-'));
const run = path.join(dir, 'run');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // PATH without any deepseek-deploy: the simulator must be started as this Node + this dist/cli.js.
    const c = spawn(process.execPath, [CLI, ...args, '--ssh-config', path.join(INFRA, 'ssh_config'), '--known-hosts', path.join(INFRA, 'known_hosts')], { env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg'), PATH: '/usr/bin:/bin' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const profile = (name: string, lines: string[]): string => {
  const f = path.join(dir, `${name}.deepseek.yaml`);
  fs.writeFileSync(f, [`name: ${name}`, ...lines, ''].join('\n'));
  return f;
};

/** Our processes that mention this test's folder (engines, `tail -F` followers). */
const leftovers = (): string[] => execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir) || (l.includes('simulate') && l.includes('pipeline-port-'))).filter((l) => !l.includes(' ps -eo'));

for (const [flavor, model, port] of [['sglang', 'deepseek-ai/DeepSeek-V3', 18751], ['vllm', 'deepseek-ai/DeepSeek-R1', 18752]] as const) {
  test(`simulator profile (${flavor} dialect) on local from a clone: ready; the command shown is /proc/PID/cmdline; ps --json lists it; logs; stop by id leaves nothing`, async () => {
    const name = `pipe-${flavor}`;
    const f = profile(name, ['host: local', `engine: {kind: simulator, imitates: ${flavor}}`, `model: {id: ${model}}`, `knobs: {port: ${port}}`, `runtime: {kind: process, workdir: ${run}}`]);
    const r = await cli(['launch', f, '--startup-speed', '1000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `http://127.0.0.1:${port}\n`);
    const shown = /^\$ (.*)$/m.exec(r.stderr)?.[1];
    const pid = fs.readFileSync(path.join(run, `${name}.pid`), 'utf8').trim();
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.ok(argv.every((a) => /^[\w@%+=:,./-]+$/.test(a)), 'words need no quoting, so the shown line is the words joined');
    assert.equal(shown, argv.join(' '));
    assert.deepEqual(argv.slice(0, 3), [process.execPath, CLI, 'simulate']);
    // DeepSeek-V3 has no reasoning: no parser; R1 gets vLLM's.
    if (flavor === 'sglang') assert.ok(!argv.includes('--reasoning-parser'));
    else assert.deepEqual(argv.slice(argv.indexOf('--reasoning-parser'), argv.indexOf('--reasoning-parser') + 2), ['--reasoning-parser', 'deepseek_r1']);
    const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.equal(models.data[0].id, model);
    const ps = await cli(['ps', '--host', 'local', '--json']);
    assert.equal(ps.code, 0, ps.stderr);
    const listed = (JSON.parse(ps.stdout) as Array<Record<string, unknown>>).find((s) => s.id === `local/${name}`);
    assert.ok(listed, ps.stdout);
    assert.deepEqual(Object.keys(listed).sort(), ['engine', 'host', 'id', 'model', 'profile', 'runtime', 'startedAt', 'state', 'url']);
    assert.deepEqual({ ...listed, startedAt: typeof listed.startedAt }, { id: `local/${name}`, host: 'local', runtime: 'process', profile: name, engine: `simulator (${flavor})`, model, state: 'running', url: `http://127.0.0.1:${port}`, startedAt: 'string' });
    const logs = await cli(['logs', `local/${name}`, '--no-follow']);
    assert.match(logs.stdout, flavor === 'sglang' ? /The server is fired up and ready to roll!/ : /Application startup complete\./);
    const stop = await cli(['stop', `local/${name}`]);
    assert.equal(stop.code, 0, stop.stderr);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/models`));
    assert.deepEqual(leftovers(), []);
    const after = await cli(['ps', '--host', 'local', '--json']);
    assert.ok(!(JSON.parse(after.stdout) as Array<{ id: string }>).some((s) => s.id === `local/${name}`));
  });
}

test('pre-flight refusals on the test hosts, each with its remedy, before anything starts', async () => {
  const r1 = ['engine: {kind: vllm}', 'model: {id: cognitivecomputations/DeepSeek-R1-AWQ}'];
  // This machine has no NVIDIA driver; the process runtime needs `vllm`, which no test host has.
  const local = await cli(['launch', profile('pf-local', ['host: local', ...r1, `runtime: {kind: process, workdir: ${run}}`])]);
  assert.equal(local.code, 1);
  assert.match(local.stderr, /no-gpu: No NVIDIA GPU found on the host \([^)]*nvidia-smi[^)]*\)\.\n\s+remedy: Install the NVIDIA driver/);
  const gpu = await cli(['launch', profile('pf-binary', ['host: dsd-gpu', ...r1, `runtime: {kind: process, workdir: ${run}}`]), '--force']);
  assert.equal(gpu.code, 1);
  assert.match(gpu.stderr, /binary-missing: `vllm` is not installed on the host for non-interactive logins.*\n\s+remedy: pip install vllm/);
  assert.doesNotMatch(gpu.stderr, /The engine ended \(COMPLETED/);
  // dsd-multi has no DOCKER_HOST: the default socket has no daemon behind it.
  const daemon = await cli(['launch', profile('pf-daemon', ['host: dsd-multi', ...r1, 'runtime: {kind: docker}']), '--force']);
  assert.equal(daemon.code, 1);
  assert.match(daemon.stderr, /docker-daemon: The Docker daemon is not reachable: Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock.*\n\s+remedy: Start it/);
  // dsd-fish reaches the test daemon's socket, but is not in its group (dsd-gpu).
  const group = await cli(['launch', profile('pf-group', ['host: dsd-fish', ...r1, 'runtime: {kind: docker}']), '--force']);
  assert.equal(group.code, 1);
  assert.match(group.stderr, /docker-group: This user may not use the Docker daemon: .*permission denied.*\n\s+remedy: Add the user to the docker group/);
  // A port already taken on the host.
  const http = await import('node:http');
  const holder = http.createServer(() => undefined);
  await new Promise<void>((res) => holder.listen(0, '127.0.0.1', res));
  const taken = (holder.address() as { port: number }).port;
  try {
    const port = await cli(['launch', profile('pf-port', ['host: local', 'engine: {kind: simulator}', 'model: {id: deepseek-ai/DeepSeek-R1}', `knobs: {port: ${taken}}`, `runtime: {kind: process, workdir: ${run}}`])]);
    assert.equal(port.code, 1);
    assert.match(port.stderr, new RegExp(`port-in-use: Port ${taken} is already in use on the host\\.\\n\\s+remedy: Pick another knobs\\.port`));
  } finally {
    holder.close();
  }
  assert.deepEqual(leftovers(), []);
});

test('a profile\'s host: resolves the same for the CLI and the extension (one resolveTarget): an ssh-config alias with its HostName/Port/User', () => {
  const cfg = path.join(INFRA, 'ssh_config');
  const alias = loadSshConfigHosts(cfg).find((t) => t.id === 'dsd-gpu');
  assert.ok(alias);
  assert.deepEqual(resolveTarget('dsd-gpu', { sshConfigFile: cfg }), alias);
  assert.deepEqual(resolveTarget('local', { sshConfigFile: cfg }), { kind: 'local' });
  const t = resolveTarget(`dsd-gpu@127.0.0.1:${alias.port}`, { sshConfigFile: cfg });
  assert.ok(!('kind' in t) && t.user === 'dsd-gpu' && t.host === '127.0.0.1' && t.port === alias.port);
});
