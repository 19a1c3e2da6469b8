import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';

// `deepseek-deploy launch / stop` as a user runs them, headless, against the test sshd + dockerd.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-cli-launch-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${INFRA}/docker/docker.sock` } });

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args, '--ssh-config', path.join(INFRA, 'ssh_config'), '--known-hosts', path.join(INFRA, 'known_hosts')], { env: { ...process.env, XDG_CONFIG_HOME: dir, ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const profile = (name: string, model: string, port: number): string => {
  const f = path.join(dir, `${name}.deepseek.yaml`);
  fs.writeFileSync(f, [
    `name: ${name}`, 'host: dsd-gpu', 'engine: {kind: vllm, version: 0.9.0}', `model: {id: ${model}}`, 'parallel: {tp: 8}',
    `knobs: {port: ${port}}`, "env: {DSD_SIM_OPTS: '--startup-speed 60 --gpus 8xH100-80GB'}", 'runtime: {kind: docker, network: host}', '',
  ].join('\n'));
  return f;
};

test('pre-flight refuses busy GPUs (GPU 0 of the test host is 97% used) with the remedy; --force launches anyway, checks the fit, shows progress, prints the URL when ready; stop removes it', async () => {
  const f = profile('cli-awq', 'cognitivecomputations/DeepSeek-R1-AWQ', 18631);
  const refused = await cli(['launch', f, '--detach']);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /gpus-busy: Only 7 of the 8 GPUs the profile needs are free: GPU 0 is in use by another process\./);
  assert.match(refused.stderr, /remedy: Stop what runs there .* \(--force launches anyway\)/);
  assert.match(refused.stderr, /note: busy GPUs: GPU 0 \(39\/80 GB used, 97%\)/);
  assert.equal(docker('ps', '-aq', '--filter', 'name=^dsd-cli-awq$').trim(), '', 'nothing started');
  const r = await cli(['launch', f, '--detach', '--force'], { HF_TOKEN: 'hf_cliSecret123' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^http:\/\/127\.0\.0\.1:\d+\n$/);
  assert.match(r.stderr, /memory fit: fits on 8× H100-80GB/);
  assert.match(r.stderr, /loading weights 100%/);
  assert.match(r.stderr, /\] ready http:/);
  assert.ok(!r.stderr.includes('hf_cliSecret123'));
  assert.equal(docker('inspect', '-f', '{{.State.Running}}', 'dsd-cli-awq').trim(), 'true');
  const s = await cli(['stop', f]);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(docker('ps', '-aq', '--filter', 'name=^dsd-cli-awq$').trim(), '');
});

test('launch refuses a certain misfit (R1 FP8 on the host\'s 8×H100) before starting anything', async () => {
  const r = await cli(['launch', profile('cli-fp8', 'deepseek-ai/DeepSeek-R1', 18632), '--detach']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /misfit: refused by the memory planner: does not fit on 8× H100-80GB: the weights do not fit/);
  assert.equal(docker('ps', '-aq', '--filter', 'name=^dsd-cli-fp8$').trim(), '');
});

test('a bad profile is refused with the field and line', async () => {
  const f = path.join(dir, 'bad.deepseek.yaml');
  fs.writeFileSync(f, 'name: bad\nengine: {kind: vllm}\nmodel: {id: x}\nruntime:\n  kind: docker\n  gpus: 8\n');
  const r = await cli(['launch', f]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.deepseek\.yaml:6:\d+: runtime\.gpus:/);
});
