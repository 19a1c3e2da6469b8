import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

// `deepseek-deploy gpus` as a user runs it, against the real test sshd.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const config = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-cli-'));
after(() => fs.rmSync(config, { recursive: true, force: true }));
const fp = execFileSync('ssh-keygen', ['-lf', path.join(INFRA, 'keys/gpu_host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1];

const gpus = (...args: string[]): { code: number | null; stdout: string; stderr: string } => gpusWith(config, ...args);
const gpusWith = (configHome: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, 'gpus', '--host', `dsd-gpu@127.0.0.1:${PORT}`, '--identity', path.join(INFRA, 'keys/client'), ...args], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: configHome, SSH_AUTH_SOCK: '' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('gpus: an unknown host key without --accept-new exits non-zero naming the "host key" and its fingerprint', () => {
  const r = gpus('--known-hosts', '/dev/null');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /host key/);
  assert.ok(r.stderr.includes(fp), r.stderr);
  assert.equal(r.stdout, '');
});

test('gpus --accept-new prints the fingerprint, remembers it, and lists 8 GPUs as JSON', () => {
  const r = gpus('--known-hosts', '/dev/null', '--accept-new', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes(fp));
  const j = JSON.parse(r.stdout) as { gpus: Array<{ name: string; memoryTotalMiB: number }>; os: string };
  assert.equal(j.gpus.length, 8);
  assert.equal(j.gpus[7].memoryTotalMiB, 81559);
  assert.match(fs.readFileSync(path.join(config, 'deepseek-deploy', 'known_hosts'), 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${PORT} ssh-ed25519 `), 'remembered in the shared known_hosts store');
  const again = gpus('--known-hosts', '/dev/null');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^8× H100 80GB · 12% · 40\/637 GB$/m);
});

test('gpus: a changed host key is refused even with --accept-new, with both fingerprints', () => {
  // A fresh trust store: only known_hosts vouches for this host, with an older key.
  const r = gpusWith(fs.mkdtempSync(path.join(config, 'fresh-')), '--known-hosts', path.join(INFRA, 'known_hosts.changed'), '--accept-new');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /host key of \[127\.0\.0\.1\]:\d+ has CHANGED/);
  assert.ok(r.stderr.includes(fp));
});
