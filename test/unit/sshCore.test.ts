import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { checkHostKey, entriesForName, fingerprintSha256, knownHostsName, parseKnownHosts } from '../../src/core/ssh/knownHosts';
import { shJoin, shQuote } from '../../src/core/ssh/shellQuote';
import { buildRemoteScript, FramedOutput } from '../../src/core/ssh/remoteScript';
import { parseUserHost } from '../../src/core/ssh/sshTarget';

const blob = (type: string, body: Buffer): Buffer => {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, body]);
};
const keyA = blob('ssh-ed25519', randomBytes(36));
const keyB = blob('ssh-ed25519', randomBytes(36));
const keyR = blob('ssh-rsa', randomBytes(100));

test('known_hosts: "[host]:port" for non-22 ports, hashed |1| entries, negated patterns, @revoked', () => {
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[gpu.example]:2222').digest('base64')}`;
  const text = [
    '# comment',
    `gpu.example ssh-ed25519 ${keyB.toString('base64')}`,
    `${hashed} ssh-ed25519 ${keyA.toString('base64')}`,
    `*.example,!bad.example ssh-rsa ${keyR.toString('base64')}`,
    `@revoked bad.example ssh-ed25519 ${keyA.toString('base64')}`,
    `@cert-authority *.example ssh-ed25519 ${keyB.toString('base64')}`,
  ].join('\n');
  const decide = (host: string, port: number, key: Buffer): string => checkHostKey(entriesForName(parseKnownHosts(text, 'kh'), knownHostsName(host, port)), key).kind;
  assert.equal(decide('gpu.example', 2222, keyA), 'trusted', 'hashed [host]:port entry');
  assert.equal(decide('gpu.example', 22, keyA), 'changed', 'port 22 entry has another ed25519 key');
  assert.equal(decide('other.example', 22, keyA), 'changed', 'only an rsa key known: a new ed25519 key is a CHANGED key, never an unknown one');
  assert.equal(decide('other.example', 22, keyR), 'trusted');
  assert.equal(decide('bad.example', 22, keyR), 'unknown', 'negated pattern excludes the host');
  assert.equal(decide('bad.example', 22, keyA), 'revoked');
});

test('fingerprints are OpenSSH\'s SHA256 form (base64 without padding)', () => {
  const fp = fingerprintSha256(keyA);
  assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('shQuote: every word survives a real POSIX shell unchanged', () => {
  const words = ["it's", 'a"b', '$(x)', '`x`', 'a\\b', 'new\nline', '', ' ', '*', '~', 'ünï 🚀', '-e', "''", 'plain-word_1.2:3@4%5+6,7=8/9'];
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${shJoin(words)}`], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), words);
  assert.equal(shQuote('plain-word'), 'plain-word');
  assert.throws(() => shJoin([]));
});

test('framed output: banner noise before the marker is dropped, the command\'s bytes pass through live in any chunking', () => {
  const { start } = buildRemoteScript(['true']);
  const stream = `Welcome!\nmotd ${start.slice(0, 5)}\n${start}\nline 1\nline 2 no newline`;
  for (let cut = 1; cut < stream.length; cut++) {
    let got = '';
    const f = new FramedOutput(start, (s) => { got += s; });
    f.push(stream.slice(0, cut));
    f.push(stream.slice(cut));
    assert.equal(got, 'line 1\nline 2 no newline', `cut at ${cut}`);
  }
});

test('remote script: env names are validated, values quoted, stdin goes through a quoted here-document', () => {
  assert.throws(() => buildRemoteScript(['true'], { env: { 'BAD-NAME': 'x' } }));
  const s = buildRemoteScript(['cat'], { env: { HF_HUB_OFFLINE: "1'; rm -rf /" }, stdin: 'token $NOT_EXPANDED `nor this`\n' }).script;
  const r = spawnSync('bash', ['-s'], { input: s, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n').slice(1).join('\n'), 'token $NOT_EXPANDED `nor this`\n');
});

test('user@host[:port] parsing (and [v6]:port)', () => {
  assert.deepEqual(parseUserHost('me@gpu01:2222', 'x'), { user: 'me', host: 'gpu01', port: 2222 });
  assert.deepEqual(parseUserHost('gpu01', 'x'), { user: 'x', host: 'gpu01', port: 22 });
  assert.deepEqual(parseUserHost('me@[::1]:2200', 'x'), { user: 'me', host: '::1', port: 2200 });
  assert.throws(() => parseUserHost('me@gpu:99999', 'x'));
});
