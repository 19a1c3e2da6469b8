import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { execFileSync, spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { SshPool, type SshPrompts } from '../../src/core/ssh/sshPool';
import { HostTrust, type UnknownHostKey } from '../../src/core/ssh/hostTrust';
import { SshError } from '../../src/core/ssh/sshErrors';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { TunnelManager } from '../../src/core/ssh/tunnels';
import { parseProbeOutput, PROBE_SCRIPT } from '../../src/core/hosts/remoteProbe';
import { loadSshConfigHosts } from '../../src/core/ssh/resolveTarget';

// Against the real sshd started by test/infra/ssh-up.sh (users dsd-gpu with bash, dsd-fish with fish, a bastion).
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const JPORT = PORT + 1;
const K = path.join(INFRA, 'keys');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-ssh-test-'));
const pools: SshPool[] = [];
after(() => {
  pools.forEach((p) => p.dispose());
  fs.rmSync(tmp, { recursive: true, force: true });
});

const target = (over: Partial<SshTarget> = {}): SshTarget => ({ id: `t${Math.random()}`, host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(K, 'client')], agent: 'none', ...over });

interface Made { pool: SshPool; asked: UnknownHostKey[]; passAsked: string[] }
function makePool(o: { knownHosts?: string[]; store?: string; trustUnknown?: boolean; passphrase?: string; readyTimeoutMs?: number } = {}): Made {
  const asked: UnknownHostKey[] = [];
  const passAsked: string[] = [];
  const trust = new HostTrust(o.knownHosts ?? [path.join(INFRA, 'known_hosts')], o.store, (info) => {
    asked.push(info);
    return Promise.resolve(o.trustUnknown === true);
  });
  const prompts: SshPrompts = {
    passphrase: (p) => {
      passAsked.push(p);
      return Promise.resolve(o.passphrase);
    },
  };
  const pool = new SshPool({ trust, prompts, readyTimeoutMs: o.readyTimeoutMs ?? 10_000 });
  pools.push(pool);
  return { pool, asked, passAsked };
}

const fingerprintOf = (pubFile: string): string => execFileSync('ssh-keygen', ['-lf', pubFile], { encoding: 'utf8' }).split(' ')[1];
const acceptedCount = (): number => (fs.readFileSync(path.join(INFRA, 'gpu/sshd.log'), 'utf8').match(/Accepted publickey for dsd-gpu/g) ?? []).length;
const remotePids = (user: string, pattern: string): string => spawnSync('pgrep', ['-u', user, '-f', pattern], { encoding: 'utf8' }).stdout.trim();

test('key auth: output framed clean of .bashrc noise, exit code and stderr kept apart', async () => {
  const { pool } = makePool();
  const r = await pool.exec(target(), ['sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.code, 7);
});

test('hostile arguments reach the program unchanged — bash user and fish login shell', async () => {
  const hostile = ["it's", 'a "quoted" \\ back\\slash', '$(touch /tmp/dsd-pwned)', '`id`', 'semi;colon && echo no', 'new\nline', 'ünïcødé 🚀', '*', '-n', '', '  spaced  ', '$HOME', "'"];
  for (const user of ['dsd-gpu', 'dsd-fish']) {
    const { pool } = makePool();
    const r = await pool.exec(target({ user }), ['printf', '%s\\0', ...hostile]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), hostile, `as ${user}`);
  }
  assert.ok(!fs.existsSync('/tmp/dsd-pwned'), 'no command substitution ran');
});

test('unknown host key: the prompt shows the SHA256 fingerprint as ssh-keygen prints it; Cancel refuses, Trust remembers', async () => {
  const store = path.join(tmp, 'deepseek-deploy', 'known_hosts');
  const refused = makePool({ knownHosts: [], store, trustUnknown: false });
  await assert.rejects(refused.pool.exec(target(), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown' && e.message.includes(fingerprintOf(path.join(K, 'gpu_host_ed25519.pub'))));
  assert.equal(refused.asked.length, 1);
  assert.equal(refused.asked[0].fingerprint, fingerprintOf(path.join(K, 'gpu_host_ed25519.pub')));
  assert.equal(refused.asked[0].keyType, 'ssh-ed25519');
  assert.ok(!fs.existsSync(store), 'a refused key is not stored');

  const trusting = makePool({ knownHosts: [], store, trustUnknown: true });
  assert.equal((await trusting.pool.exec(target(), ['echo', 'hi'])).stdout, 'hi\n');
  assert.equal(trusting.asked.length, 1);
  const again = makePool({ knownHosts: [], store, trustUnknown: false });
  assert.equal((await again.pool.exec(target(), ['echo', 'hi'])).stdout, 'hi\n');
  assert.equal(again.asked.length, 0, 'a trusted key is not asked again');
  assert.match(fs.readFileSync(store, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${PORT} ssh-ed25519 \\S+\\n$`), 'stored as an OpenSSH known_hosts line');
});

test('changed host key is refused with both fingerprints and how to fix it; @revoked is refused', async () => {
  const { pool, asked } = makePool({ knownHosts: [path.join(INFRA, 'known_hosts.changed')], trustUnknown: true });
  await assert.rejects(pool.exec(target(), ['true']), (e: unknown) => {
    assert.ok(e instanceof SshError && e.kind === 'host-key-changed', String(e));
    assert.ok(e.message.includes(fingerprintOf(path.join(K, 'gpu_host_ed25519.pub'))), 'new fingerprint');
    assert.ok(e.message.includes(fingerprintOf(path.join(K, 'gpu_host_alt_ed25519.pub'))), 'old fingerprint');
    assert.match(e.message, /ssh-keygen -R/);
    assert.match(e.message, /host key/);
    return true;
  });
  assert.equal(asked.length, 0, 'never offered to trust a changed key');
  const revoked = makePool({ knownHosts: [path.join(INFRA, 'known_hosts.revoked')], trustUnknown: true });
  await assert.rejects(revoked.pool.exec(target(), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-revoked');
});

test('wrong key → a clear authentication error naming what was tried', async () => {
  const { pool } = makePool();
  await assert.rejects(pool.exec(target({ identityFiles: [path.join(K, 'stranger')] }), ['true']), (e: unknown) => {
    assert.ok(e instanceof SshError && e.kind === 'auth', String(e));
    assert.match(e.message, /Authentication failed for dsd-gpu@127\.0\.0\.1:\d+ \(tried: publickey .*stranger\)/);
    return true;
  });
});

test('unreachable port → "connection refused" error within the timeout', async () => {
  const { pool } = makePool({ readyTimeoutMs: 3000 });
  const t0 = Date.now();
  await assert.rejects(pool.exec(target({ port: 1 }), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'unreachable' && /connection refused/.test(e.message));
  assert.ok(Date.now() - t0 < 3000);
});

test('passphrase-protected key: asked once, reused after a reconnect', async () => {
  const { pool, passAsked } = makePool({ passphrase: 'open sesame' });
  const t = target({ identityFiles: [path.join(K, 'client_pass')] });
  assert.equal((await pool.exec(t, ['echo', 'a'])).stdout, 'a\n');
  await pool.disconnect(t);
  assert.equal((await pool.exec(t, ['echo', 'b'])).stdout, 'b\n');
  assert.equal(passAsked.length, 1);
  const wrong = makePool({ passphrase: 'nope' });
  await assert.rejects(wrong.pool.exec(target({ identityFiles: [path.join(K, 'client_pass')] }), ['true']), /Wrong passphrase/);
});

test('ssh-agent: connects with no identity file', async () => {
  const sock = path.join(tmp, 'agent.sock');
  const agent = spawnSync('ssh-agent', ['-a', sock], { encoding: 'utf8' });
  const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
  try {
    execFileSync('ssh-add', [path.join(K, 'client')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const { pool } = makePool();
    assert.equal((await pool.exec(target({ identityFiles: [], agent: sock }), ['whoami'])).stdout, 'dsd-gpu\n');
  } finally {
    if (pid) process.kill(Number(pid));
  }
});

test('ProxyJump through a second sshd; each hop verified (the bastion from a hashed |1| known_hosts entry)', async () => {
  assert.match(fs.readFileSync(path.join(INFRA, 'known_hosts'), 'utf8'), /^\|1\|/m);
  const { pool, asked } = makePool();
  const bastion = target({ id: 'bastion', port: JPORT });
  const r = await pool.exec(target({ jump: [bastion] }), ['sh', '-c', 'echo "$SSH_CONNECTION"']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${PORT}\\n$`));
  assert.equal(asked.length, 0);
  assert.equal(pool.handshakes, 2);
  const unknownBastion = makePool({ knownHosts: [path.join(INFRA, 'known_hosts.changed')], trustUnknown: false });
  await assert.rejects(unknownBastion.pool.exec(target({ jump: [bastion] }), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown' && e.message.includes(`${JPORT}`));
});

test('pooling: 30 commands and 5 probes cost one handshake — one "Accepted publickey" in sshd\'s own log', async () => {
  const { pool } = makePool();
  const before = acceptedCount();
  const t = target();
  for (let i = 0; i < 30; i++) assert.equal((await pool.exec(t, ['echo', String(i)])).stdout, `${i}\n`);
  for (let i = 0; i < 5; i++) await pool.exec(t, ['bash', '-c', PROBE_SCRIPT]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(pool.handshakes, 1);
  assert.equal(acceptedCount() - before, 1);
});

test('GPU inventory: fake nvidia-smi parsed into 8 GPUs; HF cache free space and OS found', async () => {
  const { pool } = makePool();
  const r = await pool.exec(target(), ['bash', '-c', PROBE_SCRIPT]);
  const probe = parseProbeOutput(r.stdout);
  assert.equal(probe.gpus.length, 8, r.stdout);
  assert.equal(probe.gpus[0].name, 'NVIDIA H100 80GB HBM3');
  assert.equal(probe.gpus[0].memoryUsedMiB, 40412);
  assert.equal(probe.gpus[0].utilizationPct, 97);
  assert.match(probe.os, /Debian/);
  assert.ok((probe.hfCacheFreeGiB ?? 0) > 0);
  assert.equal(probe.hfCachePath, '/home/dsd-gpu/.cache/huggingface/hub');
});

test('a stopped `tail -f` leaves no remote process behind', async () => {
  const { pool } = makePool();
  const t = target();
  const file = `/tmp/dsd-tail-${process.pid}.log`;
  await pool.exec(t, ['sh', '-c', `echo first > ${file}`]);
  const ac = new AbortController();
  let seen = '';
  const running = pool.exec(t, ['tail', '-n', '+1', '-f', file], { signal: ac.signal, timeoutMs: 0, onStdout: (s) => { seen += s; } });
  for (let i = 0; i < 50 && !seen.includes('first'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen, 'first\n');
  assert.ok(remotePids('dsd-gpu', `tail -n \\+1 -f ${file}`), 'tail runs remotely');
  const t0 = Date.now();
  ac.abort();
  const r = await running;
  assert.ok(Date.now() - t0 < 1500, `stopped in ${Date.now() - t0} ms`);
  assert.ok(r.signal === 'SIGTERM' || r.code === 143, JSON.stringify(r));
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(remotePids('dsd-gpu', `tail -n \\+1 -f ${file}`), '', 'no tail left on the host');
});

test('server side of the pooled connection killed mid-stream → the stream ends, the pool reconnects, next command works', async () => {
  const { pool } = makePool();
  const t = target();
  const ac = new AbortController();
  const running = pool.exec(t, ['sh', '-c', 'echo started; sleep 30'], { signal: ac.signal, timeoutMs: 0 });
  await new Promise((r) => setTimeout(r, 500));
  // The per-connection sshd process ("sshd: dsd-gpu@notty" and its privileged parent) — kill them as a crash would.
  spawnSync('pkill', ['-KILL', '-f', 'sshd: dsd-gpu']);
  const r = await Promise.race([running.then(() => 'ended', () => 'ended'), new Promise((res) => setTimeout(() => res('hung'), 10_000))]);
  assert.equal(r, 'ended');
  const again = await pool.exec(t, ['echo', 'back']);
  assert.equal(again.stdout, 'back\n');
  assert.equal(pool.handshakes, 2);
  ac.abort();
  spawnSync('pkill', ['-u', 'dsd-gpu', '-f', 'sleep 30']);
});

test('tunnel: a local 127.0.0.1 port carries HTTP to a port on the far side, and survives a reconnect', async () => {
  const server = http.createServer((req, res) => res.end(`remote says hi to ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const remotePort = (server.address() as AddressInfo).port;
  const { pool } = makePool();
  const t = target();
  const tunnels = new TunnelManager(pool);
  try {
    const tun = await tunnels.openTunnel(t, '127.0.0.1', remotePort);
    assert.equal(await (await fetch(`http://127.0.0.1:${tun.localPort}/v1/models`)).text(), 'remote says hi to /v1/models');
    await pool.disconnect(t);
    assert.equal(await (await fetch(`http://127.0.0.1:${tun.localPort}/again`)).text(), 'remote says hi to /again');
    assert.equal(tunnels.list().length, 1);
    tunnels.close(tun.id);
    await assert.rejects(fetch(`http://127.0.0.1:${tun.localPort}/closed`));
  } finally {
    tunnels.dispose();
    server.close();
  }
});

test('~/.ssh/config import: HostName, User, Port, IdentityFile, ProxyJump and Include resolved', () => {
  const dir = path.join(tmp, 'sshcfg');
  fs.mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
  fs.copyFileSync(path.join(INFRA, 'ssh_config'), path.join(dir, 'conf.d', 'dsd.conf'));
  // Relative Include paths are taken from ~/.ssh by OpenSSH, not from the including file's folder: use an absolute one.
  fs.writeFileSync(path.join(dir, 'config'), `Include ${dir}/conf.d/*.conf\nHost *\n  ServerAliveInterval 30\n`);
  const hosts = loadSshConfigHosts(path.join(dir, 'config'), 'nobody');
  const behind = hosts.find((h) => h.id === 'dsd-behind-bastion');
  assert.ok(behind, JSON.stringify(hosts.map((h) => h.id)));
  assert.equal(behind.host, '127.0.0.1');
  assert.equal(behind.port, PORT);
  assert.equal(behind.user, 'dsd-gpu');
  assert.deepEqual(behind.identityFiles, [path.join(K, 'client')]);
  assert.equal(behind.jump?.[0].port, JPORT);
  assert.ok(!hosts.some((h) => h.id === '*'), 'wildcard blocks are not hosts');
});
