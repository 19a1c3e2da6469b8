import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { SshPool } from '../../src/core/ssh/sshPool';
import { HostTrust, type UnknownHostKey } from '../../src/core/ssh/hostTrust';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import { SshError } from '../../src/core/ssh/sshErrors';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { defaultTrustStorePath } from '../../src/core/ssh/trustStorePath';
import { entriesForName, fingerprintSha256, knownHostsName, parseKnownHosts } from '../../src/core/ssh/knownHosts';

// Host keys against real sshds with several host-key types (test/infra/ssh-multikey-up.sh): "multikey" has ed25519,
// ecdsa and rsa keys; "rsaonly" is the same machine restricted to its rsa key. OpenSSH's own client (and ssh-keygen)
// decide the same situations next to ours, as the oracle.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const MPORT = Number(process.env.DSD_MULTIKEY_PORT ?? 22430);
const RPORT = MPORT + 1;
const K = path.join(INFRA, 'keys');
const MK = path.join(INFRA, 'multikey', 'keys');
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const FIELD = path.resolve(__dirname, '../../../test/field/host-keys');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-hostkeys-it-'));
const pools: SshPool[] = [];
after(() => {
  pools.forEach((p) => p.dispose());
  fs.rmSync(tmp, { recursive: true, force: true });
});

const pub = (name: string): string => fs.readFileSync(path.join(MK, `${name}.pub`), 'utf8').split(' ').slice(0, 2).join(' ');
const fp = (file: string): string => execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).split(' ')[1];
const FP = { ed25519: fp(path.join(MK, 'host_ed25519.pub')), ecdsa: fp(path.join(MK, 'host_ecdsa.pub')), rsa: fp(path.join(MK, 'host_rsa.pub')) };
let n = 0;
const khFile = (...lines: string[]): string => {
  const f = path.join(tmp, `known_hosts.${++n}`);
  fs.writeFileSync(f, lines.map((l) => `${l}\n`).join(''));
  return f;
};
const target = (port: number, over: Partial<SshTarget> = {}): SshTarget => ({ id: `t${Math.random()}`, host: '127.0.0.1', port, user: 'dsd-gpu', identityFiles: [path.join(K, 'client')], agent: 'none', ...over });

function makePool(files: string[], store?: string, answer = false): { pool: SshPool; asked: UnknownHostKey[] } {
  const asked: UnknownHostKey[] = [];
  const trust = new HostTrust(files, store, (i) => {
    asked.push(i);
    return Promise.resolve(answer);
  });
  const pool = new SshPool({ trust, prompts: { passphrase: () => Promise.resolve(undefined) }, readyTimeoutMs: 10_000 });
  pools.push(pool);
  return { pool, asked };
}

/** OpenSSH's client on the same situation: exit 0 when it trusts the host, 255 with its reason otherwise. */
function openssh(kh: string, port: number, opts: string[] = [], strict = 'yes'): { code: number | null; stderr: string } {
  const r = spawnSync('ssh', ['-F', '/dev/null', '-p', String(port), '-i', path.join(K, 'client'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${kh}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `StrictHostKeyChecking=${strict}`, ...opts, 'dsd-gpu@127.0.0.1', 'true'],
  { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: '' }, timeout: 20_000 });
  return { code: r.status, stderr: r.stderr };
}

function cli(xdg: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'gpus', '--identity', path.join(K, 'client'), ...args], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: xdg, SSH_AUTH_SOCK: '' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('only the ECDSA key is known for a host with ed25519 + ECDSA + RSA keys: trusted (the ECDSA key is asked for first), as OpenSSH does', async () => {
  const kh = khFile(`[127.0.0.1]:${MPORT} ${pub('host_ecdsa')}`);
  const { pool, asked } = makePool([kh]);
  assert.equal((await pool.exec(target(MPORT), ['whoami'])).stdout, 'dsd-gpu\n');
  assert.equal(asked.length, 0);
  assert.equal(openssh(kh, MPORT).code, 0, 'OpenSSH trusts it too');
  // The example through the CLI: today "not known", exit 3.
  // (Exit 1 would only mean "no GPUs": the host-key part is that it connected and probed the host.)
  const r = cli(fs.mkdtempSync(path.join(tmp, 'xdg-')), '--host', `dsd-gpu@127.0.0.1:${MPORT}`, '--known-hosts', kh, '--json');
  assert.notEqual(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /host key/i);
  assert.equal((JSON.parse(r.stdout) as { host: string }).host, `dsd-gpu@127.0.0.1:${MPORT}`);
});

test('only ed25519 known, server restricted to RSA: CHANGED with both fingerprints even with --accept-new, nothing written; OpenSSH refuses the same way', () => {
  const kh = khFile(`[127.0.0.1]:${RPORT} ${pub('host_ed25519')}`);
  const before = fs.readFileSync(kh, 'utf8');
  const xdg = fs.mkdtempSync(path.join(tmp, 'xdg-'));
  const r = cli(xdg, '--host', `dsd-gpu@127.0.0.1:${RPORT}`, '--known-hosts', kh, '--accept-new');
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.ok(r.stderr.includes(FP.rsa), 'the presented RSA fingerprint');
  assert.ok(r.stderr.includes(FP.ed25519), 'the recorded ed25519 fingerprint');
  assert.ok(r.stderr.includes(`ssh-keygen -R '[127.0.0.1]:${RPORT}' -f ${kh}`), r.stderr);
  assert.doesNotMatch(r.stderr, /permanently added/i);
  assert.ok(!fs.existsSync(defaultTrustStorePath({ XDG_CONFIG_HOME: xdg })), 'nothing stored');
  assert.equal(fs.readFileSync(kh, 'utf8'), before);
  const o = openssh(kh, RPORT, [], 'accept-new');
  assert.equal(o.code, 255);
  assert.match(o.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.equal(fs.readFileSync(kh, 'utf8'), before, 'OpenSSH with accept-new writes nothing either');
});

test('a hashed entry (ssh-keygen -H) is found; OpenSSH agrees', async () => {
  const kh = khFile(`[127.0.0.1]:${MPORT} ${pub('host_rsa')}`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', kh], { stdio: 'ignore' });
  fs.rmSync(`${kh}.old`, { force: true });
  assert.match(fs.readFileSync(kh, 'utf8'), /^\|1\|[^ ]+ ssh-rsa /);
  const { pool, asked } = makePool([kh]);
  assert.equal((await pool.exec(target(MPORT), ['echo', 'ok'])).stdout, 'ok\n');
  assert.equal(asked.length, 0);
  assert.equal(openssh(kh, MPORT).code, 0);
});

test('[host]:port: a bare "127.0.0.1" line with the same key is accepted on another port; a line for another port is not; OpenSSH agrees', async () => {
  const bare = khFile(`127.0.0.1 ${pub('host_ed25519')}`);
  const ok = makePool([bare]);
  assert.equal((await ok.pool.exec(target(MPORT), ['echo', 'ok'])).stdout, 'ok\n');
  assert.equal(ok.asked.length, 0);
  assert.equal(openssh(bare, MPORT).code, 0);
  const otherPort = khFile(`[127.0.0.1]:${RPORT} ${pub('host_ed25519')}`);
  const no = makePool([otherPort]);
  await assert.rejects(no.pool.exec(target(MPORT), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown');
  assert.equal(no.asked[0].name, `[127.0.0.1]:${MPORT}`);
  const o = openssh(otherPort, MPORT);
  assert.equal(o.code, 255);
  assert.match(o.stderr, /No \S+ host key is known for \[127\.0\.0\.1\]:\d+/);
});

test('@revoked: a revoked key is refused, and a host whose other recorded key is fine presents that one; OpenSSH agrees on both', async () => {
  const revoked = khFile(`[127.0.0.1]:${MPORT} ${pub('host_ed25519')}`, `@revoked * ${pub('host_ed25519')}`);
  const r = makePool([revoked], undefined, true);
  await assert.rejects(r.pool.exec(target(MPORT), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-revoked' && e.message.includes(FP.ed25519));
  assert.equal(r.asked.length, 0);
  const o = openssh(revoked, MPORT);
  assert.equal(o.code, 255);
  assert.match(o.stderr, /REVOKED/);
  const other = khFile(`[127.0.0.1]:${MPORT} ${pub('host_ecdsa')}`, `@revoked * ${pub('host_ed25519')}`);
  const ok = makePool([other]);
  assert.equal((await ok.pool.exec(target(MPORT), ['echo', 'ok'])).stdout, 'ok\n');
  assert.equal(openssh(other, MPORT).code, 0);
});

test('one store: the CLI\'s --accept-new adds the key to ~/.config/deepseek-deploy/known_hosts, the extension\'s HostTrust trusts it, OpenSSH reads it; Forget removes it', async () => {
  const xdg = fs.mkdtempSync(path.join(tmp, 'xdg-'));
  const store = defaultTrustStorePath({ XDG_CONFIG_HOME: xdg });
  assert.equal(store, path.join(xdg, 'deepseek-deploy', 'known_hosts'));
  const r = cli(xdg, '--host', `dsd-gpu@127.0.0.1:${MPORT}`, '--known-hosts', '/dev/null', '--accept-new');
  assert.notEqual(r.code, 3, r.stderr);
  assert.match(r.stdout, new RegExp(`^dsd-gpu@127\\.0\\.0\\.1:${MPORT} · `), 'connected and probed the host');
  assert.ok(r.stderr.includes(`permanently added '[127.0.0.1]:${MPORT}' (ssh-ed25519 ${FP.ed25519})`), r.stderr);
  const key = Buffer.from(pub('host_ed25519').split(' ')[1], 'base64');
  assert.equal(fs.readFileSync(store, 'utf8'), `[127.0.0.1]:${MPORT} ssh-ed25519 ${key.toString('base64')}\n`);
  assert.equal(fs.statSync(store).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(store)).mode & 0o777, 0o700);
  // The extension builds its RemoteHosts with defaultTrustStorePath() (src/vscode/remote/remoteAccess.ts).
  const asked: UnknownHostKey[] = [];
  const ext = createRemoteHosts({ knownHostsFiles: ['/dev/null'], trustStorePath: defaultTrustStorePath({ XDG_CONFIG_HOME: xdg }), confirmHostKey: (i) => {
    asked.push(i);
    return Promise.resolve(false);
  }, prompts: { passphrase: () => Promise.resolve(undefined) } });
  try {
    assert.equal((await ext.pool.exec(target(MPORT), ['echo', 'shared'])).stdout, 'shared\n');
    assert.equal(asked.length, 0, 'trusted in the CLI = trusted in the extension');
    assert.equal(openssh(store, MPORT).code, 0, 'the store is a valid OpenSSH known_hosts');
    assert.deepEqual(ext.trust.stored(), [{ name: `[127.0.0.1]:${MPORT}`, keyType: 'ssh-ed25519', fingerprint: FP.ed25519 }]);
    assert.equal(ext.trust.forget(`[127.0.0.1]:${MPORT}`), 1);
  } finally {
    ext.dispose();
  }
  const again = cli(xdg, '--host', `dsd-gpu@127.0.0.1:${MPORT}`, '--known-hosts', '/dev/null');
  assert.equal(again.code, 3, 'forgotten: unknown again');
  assert.match(again.stderr, /not known/);
});

test('ProxyJump: each hop is verified through the same trust (its own name, its recorded type first); a hop with a changed or unknown key stops the chain', async () => {
  const gpuKnown = path.join(INFRA, 'known_hosts'); // vouches for the gpu sshd on PORT
  const hopEcdsa = khFile(`[127.0.0.1]:${MPORT} ${pub('host_ecdsa')}`);
  const hop = target(MPORT, { id: 'hop' });
  const ok = makePool([gpuKnown, hopEcdsa]);
  const r = await ok.pool.exec(target(PORT, { jump: [hop] }), ['sh', '-c', 'echo "$SSH_CONNECTION"']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${PORT}\\n$`));
  assert.equal(ok.pool.handshakes, 2);
  assert.equal(ok.asked.length, 0);

  const hopChanged = khFile(`[127.0.0.1]:${MPORT} ${fs.readFileSync(path.join(K, 'gpu_host_alt_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}`);
  const changed = makePool([gpuKnown, hopChanged], undefined, true);
  await assert.rejects(changed.pool.exec(target(PORT, { jump: [hop] }), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-changed' && e.message.includes(`[127.0.0.1]:${MPORT}`));
  assert.equal(changed.pool.handshakes, 1, 'the target behind the hop was never contacted');
  assert.equal(changed.asked.length, 0);

  const unknown = makePool([gpuKnown]);
  await assert.rejects(unknown.pool.exec(target(PORT, { jump: [hop] }), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown');
  assert.deepEqual(unknown.asked.map((a) => a.name), [`[127.0.0.1]:${MPORT}`]);

  // OpenSSH with the same files (its -J hop reads the same -F config): the changed hop is refused too.
  const cfg = path.join(tmp, 'jump_config');
  const both = khFile(...fs.readFileSync(gpuKnown, 'utf8').trim().split('\n'), fs.readFileSync(hopChanged, 'utf8').trim());
  fs.writeFileSync(cfg, `Host *\n  User dsd-gpu\n  IdentityFile ${path.join(K, 'client')}\n  IdentitiesOnly yes\n  BatchMode yes\n  UserKnownHostsFile ${both}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n`);
  const o = spawnSync('ssh', ['-F', cfg, '-J', `127.0.0.1:${MPORT}`, '-p', String(PORT), '127.0.0.1', 'true'], { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: '' }, timeout: 20_000 });
  assert.equal(o.status, 255);
  assert.match(o.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
});

test('HostKeyAlias: both ports are looked up under the alias (lowercased); RSA-only under an ECDSA alias entry is CHANGED; OpenSSH agrees', async () => {
  const kh = khFile(`dsd-multikey ${pub('host_ecdsa')}`);
  const { pool } = makePool([kh], undefined, true);
  assert.equal((await pool.exec(target(MPORT, { hostKeyAlias: 'DSD-Multikey' }), ['echo', 'ok'])).stdout, 'ok\n');
  assert.equal(openssh(kh, MPORT, ['-o', 'HostKeyAlias=dsd-multikey']).code, 0);
  await assert.rejects(pool.exec(target(RPORT, { hostKeyAlias: 'dsd-multikey' }), ['true']), (e: unknown) => {
    assert.ok(e instanceof SshError && e.kind === 'host-key-changed', String(e));
    assert.ok(e.message.includes(`ssh-keygen -R dsd-multikey -f ${kh}`), e.message);
    assert.ok(e.message.includes(FP.rsa) && e.message.includes(FP.ecdsa));
    return true;
  });
  const o = openssh(kh, RPORT, ['-o', 'HostKeyAlias=dsd-multikey'], 'accept-new');
  assert.equal(o.code, 255);
  assert.match(o.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
});

test('@cert-authority for the host: explained in the question (ssh2 cannot check host certificates); OpenSSH does not trust the plain key either', async () => {
  const kh = khFile(`@cert-authority * ${pub('host_ecdsa')}`);
  const { pool, asked } = makePool([kh]);
  await assert.rejects(pool.exec(target(MPORT), ['true']), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown' && /@cert-authority/.test(e.message));
  assert.equal(asked.length, 1);
  assert.match(asked[0].notes.join(' '), new RegExp(`${kh.replace(/[.]/g, '\\.')}:1 trusts a host certificate authority`));
  assert.equal(openssh(kh, MPORT).code, 255);
});

test('corpus oracle: for every test/field/host-keys case the lines we match are `ssh-keygen -F NAME`\'s, and the keys we read are `ssh-keygen -l`\'s', () => {
  const cases = fs.readdirSync(FIELD).filter((d) => fs.existsSync(path.join(FIELD, d, 'case.json')));
  assert.ok(cases.length >= 60);
  for (const c of cases) {
    const file = path.join(FIELD, c, 'known_hosts');
    const spec = JSON.parse(fs.readFileSync(path.join(FIELD, c, 'case.json'), 'utf8')) as { host: string; port: number; hostKeyAlias?: string };
    const entries = parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
    // ssh-keygen -l lists the keys of the valid unmarked lines ("is not a public key file" when there are none).
    const l = spawnSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
    const theirs = l.status === 0 ? l.stdout.trim().split('\n').map((x) => x.split(' ')[1]).sort() : [];
    assert.deepEqual(entries.filter((e) => e.marker === 'none').map((e) => fingerprintSha256(e.key)).sort(), theirs, `${c}: keys read`);
    if (c.startsWith('syntax-')) continue; // ssh-keygen -F matches names without parsing keys; -l above covers those
    const name = knownHostsName(spec.host, spec.port, spec.hostKeyAlias);
    const f = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
    const lines = [...f.stdout.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.deepEqual(entriesForName(entries, name).map((e) => e.line), lines, `${c}: lines matching ${name}`);
  }
});
