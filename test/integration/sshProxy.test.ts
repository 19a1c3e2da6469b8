import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRemoteHosts, type RemoteHosts } from '../../src/core/ssh/remoteHosts';
import { resolveSpecConfig, resolveTarget } from '../../src/core/ssh/resolveTarget';
import { expandedLocalCommand } from '../../src/core/ssh/sshConfig';
import { SshError } from '../../src/core/ssh/sshErrors';
import type { SshTarget } from '../../src/core/ssh/sshTarget';

// ProxyCommand and multi-hop ProxyJump over the real test sshds (gpu 127.0.0.1:22422, bastion 127.0.0.1:22423), with
// targets built by resolveTarget from an ssh config, as the CLI and the extension build them.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const JPORT = PORT + 1;
const K = path.join(INFRA, 'keys');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-sshproxy-'));
const opened: RemoteHosts[] = [];
after(() => {
  opened.forEach((r) => r.dispose());
  fs.rmSync(tmp, { recursive: true, force: true });
});

const accepted = (who: 'gpu' | 'bastion'): number => (fs.readFileSync(path.join(INFRA, who, 'sshd.log'), 'utf8').match(/Accepted publickey for dsd-gpu/g) ?? []).length;
/** The program (comm) on the client end 127.0.0.1:port of an established connection to the target sshd, from /proc (tests run as root). */
function ownerOf(port: number): string {
  const end = (p: number): string => `0100007F:${p.toString(16).toUpperCase().padStart(4, '0')}`;
  const row = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[1] === end(port) && f[2] === end(PORT) && f[3] === '01');
  if (!row) return '';
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${row[9]}]`) return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      /* the process ended or is not ours to read */
    }
  }
  return '';
}
const pub = (f: string): string => fs.readFileSync(f, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

function remote(knownHosts: string[], asked: Array<{ host: string; port: number }> = []): RemoteHosts {
  const r = createRemoteHosts({
    knownHostsFiles: knownHosts,
    trustStorePath: path.join(tmp, `store-${opened.length}.json`),
    confirmHostKey: (info) => {
      asked.push({ host: info.host, port: info.port });
      return Promise.resolve(false);
    },
    prompts: { passphrase: () => Promise.resolve(undefined) },
    readyTimeoutMs: 15_000,
  });
  opened.push(r);
  return r;
}

// A number ssh accepts as ServerAliveCountMax (an int) that no other process line holds: pid and time, below 2^31.
const marker = String(1_000_000_000 + ((process.pid * 100_000 + (Date.now() % 100_000)) % 1_000_000_000));
const cfg = path.join(tmp, 'config');
fs.writeFileSync(cfg, [
  'Host via-command',
  '  HostName 127.0.0.1',
  `  Port ${PORT}`,
  // OpenSSH's own client as the transport, as with IAP/SSM/cloudflared tunnels; it checks the bastion's key itself.
  `  ProxyCommand ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${INFRA}/known_hosts -o ServerAliveCountMax=${marker} -i ${K}/client -p ${JPORT} -W %h:%p dsd-gpu@127.0.0.1`,
  'Host via-failing-command',
  '  HostName 127.0.0.1',
  `  Port ${PORT}`,
  "  ProxyCommand sh -c 'echo tunnel to %h:%p refused by policy >&2; exit 7'",
  'Host two-hops',
  '  HostName 127.0.0.1',
  `  Port ${PORT}`,
  // Two hops that are not aliases: each is resolved through this config (the Host * block below) and verified.
  `  ProxyJump dsd-gpu@127.0.0.1:${JPORT},dsd-gpu@localhost:${JPORT}`,
  'Host *',
  '  User dsd-gpu',
  `  IdentityFile ${K}/client`,
  '  IdentityAgent none',
  '',
].join('\n'));
const target = (alias: string): SshTarget => {
  const t = resolveTarget(alias, { sshConfigFile: cfg });
  assert.ok(!('kind' in t));
  return t;
};

test('ProxyCommand: the SSH stream goes through the command (ssh -W via the bastion), the target key is verified', async () => {
  const t = target('via-command');
  assert.match(t.proxyCommand ?? '', / -W 127\.0\.0\.1:22422 dsd-gpu@127\.0\.0\.1$/);
  const before = accepted('bastion');
  const r = remote([path.join(INFRA, 'known_hosts')]);
  const res = await r.pool.exec(t, ['sh', '-c', 'echo "$SSH_CONNECTION"']);
  assert.equal(res.code, 0, res.stderr);
  const m = new RegExp(`^127\\.0\\.0\\.1 (\\d+) 127\\.0\\.0\\.1 ${PORT}\\n$`).exec(res.stdout);
  assert.ok(m, res.stdout);
  // The TCP connection the target sees comes from the bastion's sshd (ssh -W), not from this process.
  assert.equal(ownerOf(Number(m[1])), 'sshd');
  assert.ok(accepted('bastion') >= before + 1, 'the bastion carried the connection');
  assert.ok(spawnSync('pgrep', ['-f', `ServerAliveCountMax=${marker}`]).status === 0, 'the proxy runs while connected');
  await r.pool.disconnect(t);
  r.dispose();
  for (let i = 0; i < 50 && spawnSync('pgrep', ['-f', `ServerAliveCountMax=${marker}`]).status === 0; i++) await new Promise((s) => setTimeout(s, 100));
  assert.notEqual(spawnSync('pgrep', ['-f', `ServerAliveCountMax=${marker}`]).status, 0, 'the proxy command ends with the connection');
});

test('ProxyCommand that fails: refused with its exit status and stderr, never a direct connection to HostName', async () => {
  // HostName 127.0.0.1:22422 is reachable directly: only the proxy's failure can make this connection fail.
  const r = remote([path.join(INFRA, 'known_hosts')]);
  await assert.rejects(r.pool.exec(target('via-failing-command'), ['true']), (e: unknown) => {
    assert.ok(e instanceof SshError, String(e));
    assert.match(e.message, /ProxyCommand .* exited with status 7: tunnel to 127\.0\.0\.1:22422 refused by policy/);
    return true;
  });
  assert.equal(r.pool.handshakes, 1, 'one attempt, over the proxy, and no retry without it');
});

test('ProxyJump with two hops: every hop\'s key verified; an unknown key on the second hop refuses the whole chain', async () => {
  const t = target('two-hops');
  assert.deepEqual(t.jump?.map((h) => `${h.user}@${h.host}:${h.port}`), [`dsd-gpu@127.0.0.1:${JPORT}`, `dsd-gpu@localhost:${JPORT}`]);
  assert.deepEqual(t.jump?.map((h) => h.identityFiles), [[path.join(K, 'client')], [path.join(K, 'client')]]);

  // known_hosts knows the bastion as [127.0.0.1]:22423 only: the second hop, [localhost]:22423, is unknown.
  const asked: Array<{ host: string; port: number }> = [];
  const refused = remote([path.join(INFRA, 'known_hosts')], asked);
  await assert.rejects(refused.pool.exec(t, ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown');
  assert.deepEqual(asked, [{ host: 'localhost', port: JPORT }], 'asked about the second hop only, and refused');
  assert.equal(refused.pool.handshakes, 2, 'the first hop and the refused second one; the target was never tried');

  const kh = path.join(tmp, 'known_hosts_two_hops');
  fs.writeFileSync(kh, `${fs.readFileSync(path.join(INFRA, 'known_hosts'), 'utf8')}[localhost]:${JPORT} ${pub(path.join(K, 'bastion_host_ed25519.pub'))}\n`);
  const bastionBefore = accepted('bastion');
  const ok = remote([kh]);
  const res = await ok.pool.exec(t, ['sh', '-c', 'echo "$SSH_CONNECTION"; whoami']);
  assert.equal(res.code, 0, res.stderr);
  const m = new RegExp(`^127\\.0\\.0\\.1 (\\d+) 127\\.0\\.0\\.1 ${PORT}\\ndsd-gpu\\n$`).exec(res.stdout);
  assert.ok(m, res.stdout);
  assert.equal(ownerOf(Number(m[1])), 'sshd', 'the target is reached from the last hop');
  assert.equal(ok.pool.handshakes, 3, 'bastion, bastion again, then the target');
  assert.ok(accepted('bastion') >= bastionBefore + 2);

  // A changed key on a hop (the gpu's key recorded for the first hop) is refused as well.
  const wrong = path.join(tmp, 'known_hosts_wrong_hop');
  fs.writeFileSync(wrong, `[127.0.0.1]:${JPORT} ${pub(path.join(K, 'gpu_host_ed25519.pub'))}\n[localhost]:${JPORT} ${pub(path.join(K, 'bastion_host_ed25519.pub'))}\n[127.0.0.1]:${PORT} ${pub(path.join(K, 'gpu_host_ed25519.pub'))}\n`);
  await assert.rejects(remote([wrong]).pool.exec(t, ['true']), (e: unknown) => e instanceof SshError && e.kind.startsWith('host-key') && e.kind !== 'host-key-unknown');
});

test('the commands real ssh runs (ProxyCommand, LocalCommand) are expanded exactly as we expand them', () => {
  const out = path.join(tmp, 'oracle');
  fs.mkdirSync(out);
  const oracleCfg = path.join(tmp, 'oracle_config');
  fs.writeFileSync(oracleCfg, [
    'Host oracle-*',
    '  HostName 127.0.0.1',
    `  Port ${PORT}`,
    '  User dsd-gpu',
    `  IdentityFile ${K}/client`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${INFRA}/known_hosts`,
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  PermitLocalCommand yes',
    `  LocalCommand echo "%T %n %h %p %r %C %L %l %u %i %d %k %%" > ${out}/local.txt`,
    `  ProxyCommand sh -c 'echo "%h %n %p %r %%" > ${out}/proxy.txt; exec ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${INFRA}/known_hosts -i ${K}/client -p ${JPORT} -W %h:%p dsd-gpu@127.0.0.1'`,
    '',
  ].join('\n'));
  const r = spawnSync('ssh', ['-F', oracleCfg, 'oracle-x', 'true'], { input: '', encoding: 'utf8', timeout: 60_000, env: { ...process.env, SSH_AUTH_SOCK: '' } });
  assert.equal(r.status, 0, r.stderr);
  const ours = resolveSpecConfig('oracle-x', { sshConfigFile: oracleCfg });
  const t = resolveTarget('oracle-x', { sshConfigFile: oracleCfg });
  assert.ok(!('kind' in t));
  const echoed = (cmd: string | undefined): string => /echo "([^"]*)"/.exec(cmd ?? '')?.[1] ?? '';
  assert.equal(fs.readFileSync(path.join(out, 'local.txt'), 'utf8'), `${echoed(expandedLocalCommand(ours))}\n`);
  assert.equal(fs.readFileSync(path.join(out, 'proxy.txt'), 'utf8'), `${echoed(t.proxyCommand)}\n`);
  assert.equal(echoed(t.proxyCommand), `127.0.0.1 oracle-x ${PORT} dsd-gpu %`);
});
