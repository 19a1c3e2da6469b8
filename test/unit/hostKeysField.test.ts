import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostTrust, type UnknownHostKey } from '../../src/core/ssh/hostTrust';
import { fingerprintSha256, HOST_KEY_ALGORITHMS, hostKeyAlgorithmOrder, knownHostsName, parseKnownHosts } from '../../src/core/ssh/knownHosts';
import { shQuote } from '../../src/core/ssh/shellQuote';
import { SshError } from '../../src/core/ssh/sshErrors';

// The host-key corpus (test/field/host-keys/<case>/: known_hosts, server.pub, case.json, source), run through our
// checker the way a connection runs it: offer the algorithms HostTrust orders, let the "server" pick as RFC 4253 §7.1
// says (the first client algorithm it has a key for), then verify() the key it presents, answering "trust" like
// --accept-new does.
const FIELD = path.resolve(__dirname, '../../../test/field/host-keys');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-hostkeys-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface CaseSpec {
  host: string;
  port: number;
  hostKeyAlias?: string;
  expect: { decision: 'trusted' | 'unknown' | 'changed' | 'revoked'; presentedType: string; certAuthorityNote?: boolean };
}

/** What the server presents for our algorithm list: RFC 4253 §7.1, the first client algorithm the server also has. */
function negotiate(offered: readonly string[], serverKeys: ReadonlyArray<{ type: string; blob: Buffer }>): { type: string; blob: Buffer } {
  for (const alg of offered) {
    const keyType = HOST_KEY_ALGORITHMS.find((a) => a.algorithm === alg)?.keyType;
    const k = serverKeys.find((s) => s.type === keyType);
    if (k) return k;
  }
  throw new Error('no common host-key algorithm');
}

const cases = fs.readdirSync(FIELD).filter((d) => fs.statSync(path.join(FIELD, d)).isDirectory()).sort();

test('the corpus has at least 5 cases of every rule kind beyond the issue\'s examples', () => {
  const kinds = new Map<string, number>();
  for (const c of cases) kinds.set(c.split('-')[0], (kinds.get(c.split('-')[0]) ?? 0) + 1);
  for (const k of ['order', 'changed', 'hashed', 'port', 'wild', 'revoked', 'syntax', 'alias', 'ca']) assert.ok((kinds.get(k) ?? 0) >= 6, `${k}: ${kinds.get(k)}`);
  for (const c of cases) assert.match(fs.readFileSync(path.join(FIELD, c, 'source'), 'utf8'), /^\S.*\n$/, `${c}/source is one line`);
});

for (const name of cases) {
  const dir = path.join(FIELD, name);
  const source = fs.readFileSync(path.join(dir, 'source'), 'utf8').trim();
  test(`host-keys/${name} — ${source}`, async () => {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseSpec;
    const serverKeys = fs.readFileSync(path.join(dir, 'server.pub'), 'utf8').trim().split('\n').map((l) => {
      const [type, b64] = l.split(' ');
      return { type, blob: Buffer.from(b64, 'base64') };
    });
    const store = path.join(tmp, name, 'deepseek-deploy', 'known_hosts');
    const khFile = path.join(dir, 'known_hosts');
    const asked: UnknownHostKey[] = [];
    const trust = new HostTrust([khFile], store, (info) => {
      asked.push(info);
      return Promise.resolve(true);
    });
    const target = { host: spec.host, port: spec.port, hostKeyAlias: spec.hostKeyAlias };
    const presented = negotiate(trust.hostKeyAlgorithms(target), serverKeys);
    assert.equal(presented.type, spec.expect.presentedType, 'the key type the server presents for our algorithm order');
    const fp = fingerprintSha256(presented.blob);
    const kname = knownHostsName(spec.host, spec.port, spec.hostKeyAlias);
    let decision: string;
    let error: SshError | undefined;
    try {
      await trust.verify(target, presented.blob, `test@${spec.host}`);
      decision = asked.length ? 'unknown' : 'trusted';
    } catch (e) {
      assert.ok(e instanceof SshError, String(e));
      error = e;
      decision = e.kind.replace(/^host-key-/, '');
    }
    assert.equal(decision, spec.expect.decision, error?.message);

    if (decision === 'changed' || decision === 'revoked') {
      assert.equal(asked.length, 0, 'a changed or revoked key is never offered for trust, even with accept-new');
      assert.ok(!fs.existsSync(store), 'nothing stored');
      assert.ok(error!.message.includes(fp), 'names the presented fingerprint');
    }
    if (decision === 'changed') {
      const recorded = parseKnownHosts(fs.readFileSync(khFile, 'utf8'), khFile).filter((e) => e.marker === 'none');
      const named = recorded.filter((e) => error!.message.includes(`${khFile}:${e.line}`));
      assert.ok(named.length > 0, 'names the offending FILE:LINE');
      for (const e of named) assert.ok(error!.message.includes(fingerprintSha256(e.key)), 'names the recorded fingerprint');
      assert.ok(error!.message.includes(`ssh-keygen -R ${shQuote(kname)} -f ${shQuote(khFile)}`), error!.message);
      assert.match(error!.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
      if (!named.some((e) => e.keyType === presented.type)) assert.match(error!.message, /did not offer a .* key although it was asked for one first/);
      // A wildcard or list line serves other hosts too: the advice must say that ssh-keygen -R removes it for all.
      assert.equal(/removes the whole line for all of them/.test(error!.message), named.some((e) => /[*?!,]/.test(e.hosts) && !e.hosts.startsWith('|')));
    }
    if (decision === 'unknown') {
      assert.equal(asked.length, 1);
      assert.equal(asked[0].name, kname);
      assert.equal(asked[0].fingerprint, fp);
      assert.equal(asked[0].keyType, presented.type);
      assert.equal(asked[0].notes.length > 0, spec.expect.certAuthorityNote === true, asked[0].notes.join(' '));
      if (spec.expect.certAuthorityNote) assert.match(asked[0].notes[0], /@cert-authority .* host certificates cannot be checked here/);
      // accept-new stored exactly OpenSSH's line, in a 0600 file in a 0700 folder, and the next connection is trusted.
      assert.equal(fs.readFileSync(store, 'utf8'), `${kname} ${presented.type} ${presented.blob.toString('base64')}\n`);
      assert.equal(fs.statSync(store).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(store)).mode & 0o777, 0o700);
      const again: UnknownHostKey[] = [];
      const trust2 = new HostTrust([khFile], store, (i) => {
        again.push(i);
        return Promise.resolve(false);
      });
      await trust2.verify(target, presented.blob, 'again');
      assert.equal(again.length, 0);
    }
  });
}

test('algorithm order: recorded types first in ssh2\'s order, then the rest; revoked and CA lines do not count', () => {
  const kh = fs.readFileSync(path.join(FIELD, 'order-two-known-server-has-one', 'known_hosts'), 'utf8');
  assert.deepEqual(hostKeyAlgorithmOrder(parseKnownHosts(kh, 'kh')), HOST_KEY_ALGORITHMS.map((a) => a.algorithm), 'ed25519 + ecdsa256 known: default order already has them first');
  const rsa = parseKnownHosts(fs.readFileSync(path.join(FIELD, 'order-rsa-known-server-has-three', 'known_hosts'), 'utf8'), 'kh');
  assert.deepEqual(hostKeyAlgorithmOrder(rsa).slice(0, 4), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  const revoked = parseKnownHosts(fs.readFileSync(path.join(FIELD, 'revoked-only-line', 'known_hosts'), 'utf8').replace(/ssh-ed25519/g, 'ssh-ed25519'), 'kh');
  assert.deepEqual(hostKeyAlgorithmOrder(revoked), HOST_KEY_ALGORITHMS.map((a) => a.algorithm));
});

test('store: forget removes the name\'s plain and hashed lines like ssh-keygen -R, keeps markers and other hosts; verify asks again', async () => {
  const dir = path.join(tmp, 'forget', 'deepseek-deploy');
  const store = path.join(dir, 'known_hosts');
  const kh = (c: string): string => fs.readFileSync(path.join(FIELD, c, 'known_hosts'), 'utf8');
  fs.mkdirSync(dir, { recursive: true });
  const revokedOther = kh('revoked-other-key-known-key-trusted').split('\n').find((l) => l.startsWith('@revoked'))!;
  fs.writeFileSync(store, [kh('port-entry-matches-port'), kh('hashed-host-port'), `${revokedOther}\n`, kh('alias-trusted'), '# kept comment\n'].join(''));
  const asked: UnknownHostKey[] = [];
  const trust = new HostTrust([], store, (i) => {
    asked.push(i);
    return Promise.resolve(false);
  });
  assert.deepEqual(trust.stored().map((s) => s.name).filter((n) => !n.startsWith('|')), ['[gpu.example.test]:2222', 'gpu-a']);
  assert.equal(trust.forget('[GPU.example.test]:2222'), 2, 'the plain and the hashed line');
  const left = fs.readFileSync(store, 'utf8');
  assert.match(left, /^@revoked \* /m);
  assert.match(left, /^gpu-a /m);
  assert.match(left, /^# kept comment$/m);
  assert.equal(fs.statSync(store).mode & 0o777, 0o600);
  assert.equal(trust.forget('[gpu.example.test]:2222'), 0);
  const key = Buffer.from(fs.readFileSync(path.join(FIELD, 'port-entry-matches-port', 'server.pub'), 'utf8').split(' ')[1], 'base64');
  await assert.rejects(trust.verify({ host: 'gpu.example.test', port: 2222 }, key, 'x'), (e: unknown) => e instanceof SshError && e.kind === 'host-key-unknown');
  assert.equal(asked.length, 1);
  assert.equal(fs.readdirSync(dir).length, 1, 'no temp file left behind');
});

test('a changed key found in the shared store names the Forget command as well as ssh-keygen -R … -f STORE', async () => {
  const store = path.join(tmp, 'changed-store', 'known_hosts');
  fs.mkdirSync(path.dirname(store), { recursive: true });
  fs.copyFileSync(path.join(FIELD, 'changed-type-ed25519-known-rsa-only', 'known_hosts'), store);
  const trust = new HostTrust([], store, () => Promise.resolve(true));
  const rsa = Buffer.from(fs.readFileSync(path.join(FIELD, 'changed-type-ed25519-known-rsa-only', 'server.pub'), 'utf8').split(' ')[1], 'base64');
  await assert.rejects(trust.verify({ host: 'gpu.example.test', port: 2222 }, rsa, 'x'), (e: unknown) => {
    assert.ok(e instanceof SshError && e.kind === 'host-key-changed');
    assert.ok(e.message.includes(`ssh-keygen -R '[gpu.example.test]:2222' -f ${store} (or the command "DeepSeek: Forget Host Key…")`), e.message);
    return true;
  });
});
