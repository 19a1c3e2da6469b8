import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import { SshError } from '../../src/core/ssh/sshErrors';
import type { SshTarget } from '../../src/core/ssh/sshTarget';

// The pooled exec path's persistent shell (one `bash -l -s` session per host) over the real test sshd: each command
// behaves exactly as on a channel of its own — exit codes, stdout/stderr apart, no state leaking between commands,
// stdin never shared, limits that stop the command and leave the shell usable.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
const target: SshTarget = { id: 'shell-channel', host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
after(() => remote.dispose());
const exec = remote.pool.exec.bind(remote.pool, target);

test('exit codes, stdout and stderr kept apart, output without a trailing newline, empty output', async () => {
  assert.deepEqual(await exec(['sh', '-c', 'echo out; echo err >&2; exit 3']), { code: 3, signal: undefined, stdout: 'out\n', stderr: 'err\n' });
  assert.deepEqual(await exec(['printf', 'no newline']), { code: 0, signal: undefined, stdout: 'no newline', stderr: '' });
  assert.deepEqual(await exec(['true']), { code: 0, signal: undefined, stdout: '', stderr: '' });
  assert.equal((await exec(['printf', '\n\n'])).stdout, '\n\n');
  // Output that looks like a marker of another frame is just output.
  assert.equal((await exec(['echo', '__DSD_END_0123456789abcdef01__ 0'])).stdout, '__DSD_END_0123456789abcdef01__ 0\n');
});

test('no state leaks from one command to the next: working directory, exported variables', async () => {
  await exec(['sh', '-c', 'cd /tmp'], { cwd: '/' });
  await exec(['true'], { env: { DSD_LEAK: 'yes' }, cwd: '/tmp' });
  const r = await exec(['sh', '-c', 'printf "%s|%s" "$PWD" "${DSD_LEAK:-unset}"']);
  assert.equal(r.stdout, '/home/dsd-gpu|unset');
});

test('stdin is the command\'s own (here-document), never the session\'s', async () => {
  assert.equal((await exec(['cat'], { stdin: 'line 1\nline 2\n' })).stdout, 'line 1\nline 2\n');
  // A command that reads stdin without being given any gets EOF at once instead of eating the next command.
  assert.equal((await exec(['cat'])).stdout, '');
  assert.equal((await exec(['echo', 'still here'])).stdout, 'still here\n');
});

test('commands at the same time: one uses the shell, the others take channels; all answer right', async () => {
  const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => exec(['sh', '-c', `sleep 0.${i}; echo ${i}`])));
  assert.deepEqual(rs.map((r) => r.stdout), ['0\n', '1\n', '2\n', '3\n', '4\n', '5\n']);
  assert.equal(remote.pool.handshakes, 1);
});

test('a command over its limit is stopped on the host (nothing left running) and the shell keeps working', async () => {
  const marker = `dsd-shell-timeout-${process.pid}`;
  const t0 = Date.now();
  await assert.rejects(exec(['bash', '-c', `exec -a ${marker} sleep 60`], { timeoutMs: 1500 }), (e: unknown) => e instanceof SshError && e.kind === 'timeout');
  assert.ok(Date.now() - t0 < 8000, `stopped after ${Date.now() - t0} ms`);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(spawnSync('pgrep', ['-u', 'dsd-gpu', '-f', marker], { encoding: 'utf8' }).stdout.trim(), '', 'no command left on the host');
  assert.equal((await exec(['echo', 'after'])).stdout, 'after\n');
});
