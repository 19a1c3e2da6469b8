import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { currentLocalContext, expandedCertificateFiles, expandedKnownHostsCommand, expandedLocalCommand, listSshConfigAliases, resolveSshConfig, type SshLocalContext } from '../../src/core/ssh/sshConfig';
import { loadSshConfigHosts, resolveSpecConfig, resolveTarget } from '../../src/core/ssh/resolveTarget';
import type { SshTarget } from '../../src/core/ssh/sshTarget';

// What the ssh-config corpus cannot show: refusals (with file and line), commands never run, files others can
// write, names that could inject into a ProxyCommand, and the CLI's `hosts` output next to `ssh -G`.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-sshres-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A fresh HOME with .ssh/config = text (and extra files), returned with the local context pointing at it. */
function home(text: string, files: Record<string, string> = {}): { cfg: string; local: SshLocalContext; dir: string } {
  const dir = path.join(tmp, `h${n++}`);
  fs.mkdirSync(path.join(dir, '.ssh'), { recursive: true });
  const cfg = path.join(dir, '.ssh', 'config');
  fs.writeFileSync(cfg, text, { mode: 0o644 });
  for (const [rel, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, '.ssh', rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, '.ssh', rel), t, { mode: 0o644 });
  }
  return { cfg, dir, local: { ...currentLocalContext(), envHome: dir, env: { ...process.env, HOME: dir } } };
}
const target = (spec: string, cfg: string, local: SshLocalContext): SshTarget => {
  const t = resolveTarget(spec, { sshConfigFile: cfg, local });
  assert.ok(!('kind' in t));
  return t;
};
const refuses = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof Error && re.test(e.message), String(re));

test('Match exec is never run: the block does not apply and a warning says why', () => {
  const marker = path.join(tmp, 'exec-ran');
  const h = home(`Match exec "touch ${marker}"\n  User from-exec\nHost x\n  HostName x.example.test\n`);
  const r = resolveSpecConfig('x', { sshConfigFile: h.cfg, local: h.local });
  assert.equal(r.user, h.local.user);
  assert.ok(!fs.existsSync(marker), 'the command did not run');
  assert.match(r.warnings.join('\n'), /config line 1: Match exec .* was not run/);
  // ssh itself would run it: the reason we do not (and the file it creates proves it ran there).
  spawnSync('ssh', ['-G', '-F', h.cfg, 'x'], { input: '', env: { ...process.env, HOME: h.dir } });
  assert.ok(fs.existsSync(marker), 'ssh -G runs Match exec');
});

test('an included file that others may write is refused, as OpenSSH refuses it', () => {
  const h = home('Include conf.d/*.conf\n', { 'conf.d/a.conf': 'Host a\n  ProxyCommand nc %h %p\n' });
  fs.chmodSync(path.join(h.dir, '.ssh/conf.d/a.conf'), 0o666);
  refuses(() => resolveTarget('a', { sshConfigFile: h.cfg, local: h.local }), /Bad owner or permissions on .*a\.conf/);
  const g = spawnSync('ssh', ['-G', '-F', h.cfg, 'a'], { input: '', encoding: 'utf8', env: { ...process.env, HOME: h.dir } });
  assert.notEqual(g.status, 0);
  assert.match(g.stderr, /Bad owner or permissions/);
});

test('malformed lines are refused with file and line, like ssh -G', () => {
  const cases: Array<[string, RegExp]> = [
    ['Host a\n  HostName x y\n', /config line 2: keyword hostname extra arguments/],
    ['Host a\n  Port 70000\n', /config line 2: Badly formatted port number/],
    ['Host a\n  User\n', /config line 2: no argument after keyword "user"/],
    ['Host a\n  ProxyCommand "unterminated\n', /config line 2: invalid quotes/],
    ['Match nosuch x\n', /config line 1: Unsupported Match attribute nosuch/],
    ['Match host\n', /config line 1: Missing Match criteria for host/],
    ['Match all host x\n', /config line 1: 'all' cannot be combined/],
    ['Host a\n  ProxyJump user@:22\n', /config line 2: Invalid ProxyJump/],
    ['Host a\n  ProxyJump j1,,j2\n', /config line 2: Invalid ProxyJump/],
    ['Host a\n  HostName %z.example\n', /unknown token %z/],
  ];
  for (const [text, re] of cases) {
    const h = home(text);
    refuses(() => resolveTarget('a', { sshConfigFile: h.cfg, local: h.local }), re);
    const g = spawnSync('ssh', ['-G', '-F', h.cfg, 'a'], { input: '', encoding: 'utf8', env: { ...process.env, HOME: h.dir } });
    assert.notEqual(g.status, 0, `ssh -G also refuses ${JSON.stringify(text)}`);
  }
});

test('an Include that includes itself stops at OpenSSH\'s depth limit instead of looping', () => {
  const h = home('Include config\n');
  refuses(() => resolveTarget('a', { sshConfigFile: h.cfg, local: h.local }), /too many recursive configuration includes/);
});

test('a ProxyJump loop is refused, naming the hops', () => {
  const h = home('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n');
  refuses(() => resolveTarget('a', { sshConfigFile: h.cfg, local: h.local }), /ProxyJump loop.*a → b → a/);
});

test('a hop of an explicit -J list that is not an alias is resolved, never dropped', () => {
  const h = home('Host *\n  User cfguser\n');
  const t = target('gpu.example.test', h.cfg, h.local);
  assert.equal(t.jump, undefined);
  const j = resolveTarget('gpu.example.test', { sshConfigFile: h.cfg, local: h.local, proxyJump: 'ops@bastion.example.test:2222,10.0.0.5' });
  assert.ok(!('kind' in j));
  assert.deepEqual(j.jump?.map((x) => `${x.user}@${x.host}:${x.port}`), ['ops@bastion.example.test:2222', 'cfguser@10.0.0.5:22']);
});

test('names that could inject into a ProxyCommand or ssh\'s command line are refused (OpenSSH 9.6 rules)', () => {
  const h = home('Host *\n  ProxyCommand ssh -W %h:%p bastion\n');
  for (const spec of ['gpu;touch /tmp/x', 'gpu$(id)', 'a@b`id`', '-oProxyCommand=id', "o'neil@gpu", 'gpu name', '-l@gpu']) {
    refuses(() => resolveTarget(spec, { sshConfigFile: h.cfg, local: h.local }), /refuses|Not a host/);
  }
  assert.equal(target('alice@gpu-1.example.test:2200', h.cfg, h.local).proxyCommand, 'ssh -W gpu-1.example.test:2200 bastion');
});

test('"local" is this machine; anything else goes through the config', () => {
  const h = home('Host local-gpu\n  HostName 10.1.1.1\n');
  assert.deepEqual(resolveTarget('local', { sshConfigFile: h.cfg, local: h.local }), { kind: 'local' });
  assert.equal(target('local-gpu', h.cfg, h.local).host, '10.1.1.1');
  refuses(() => resolveTarget('', {}), /No host given/);
  refuses(() => resolveTarget('me@', {}), /Not a host/);
});

test('defaultUser applies only when neither the spec nor the config names a user', () => {
  const h = home('Host withuser\n  User cfg\n');
  assert.equal((resolveTarget('withuser', { sshConfigFile: h.cfg, local: h.local, defaultUser: 'dflt' }) as SshTarget).user, 'cfg');
  assert.equal((resolveTarget('other', { sshConfigFile: h.cfg, local: h.local, defaultUser: 'dflt' }) as SshTarget).user, 'dflt');
  assert.equal((resolveTarget('me@other', { sshConfigFile: h.cfg, local: h.local, defaultUser: 'dflt' }) as SshTarget).user, 'me');
});

test('-i files come first and replace the defaults; IdentityAgent none/SSH_AUTH_SOCK/$VAR map to what the pool uses', () => {
  const h = home('Host a\n  IdentityFile ~/.ssh/cfg_key\n  IdentityAgent none\nHost b\n  IdentityAgent SSH_AUTH_SOCK\nHost c\n  IdentityAgent $DSD_SOCK_VAR\n');
  const a = resolveTarget('a', { sshConfigFile: h.cfg, local: h.local, identityFiles: ['/keys/cli'] }) as SshTarget;
  assert.deepEqual(a.identityFiles, ['/keys/cli', path.join(h.local.home, '.ssh/cfg_key')]);
  assert.equal(a.agent, 'none');
  assert.equal(target('b', h.cfg, h.local).agent, undefined);
  assert.equal(target('c', h.cfg, { ...h.local, env: { DSD_SOCK_VAR: '/run/agent.sock' } }).agent, '/run/agent.sock');
  assert.equal(target('c', h.cfg, { ...h.local, env: {} }).agent, 'none');
});

test('without an explicit file, ~/.ssh/config is read before the system file (ssh\'s default order)', () => {
  const h = home('Host a\n  User from-user-file\n');
  const sys = path.join(h.dir, 'system_ssh_config');
  fs.writeFileSync(sys, 'Host *\n  User from-system\n  Port 2222\n');
  const r = resolveSshConfig({ host: 'a', local: { ...h.local, home: h.dir }, systemConfigFile: sys });
  assert.equal(r.user, 'from-user-file');
  assert.equal(r.port, 2222);
});

test('listing: concrete aliases from every file, patterns and negations left out', () => {
  const h = home('Host a b *.wild !neg\nHost gpu-a\n  Include conf.d/*.conf\n', { 'conf.d/x.conf': 'Host inner-1 inner-?\n' });
  assert.deepEqual(listSshConfigAliases(h.cfg, h.local), ['a', 'b', 'gpu-a', 'inner-1']);
  assert.deepEqual(loadSshConfigHosts(path.join(h.dir, 'missing')), []);
});

test('sshConfigFile and hosts settings are machine-scoped: a workspace cannot replace them', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { scope?: string }> } | Array<{ properties: Record<string, { scope?: string }> }> } };
  const conf = pkg.contributes.configuration;
  const props = Array.isArray(conf) ? Object.assign({}, ...conf.map((c) => c.properties)) as Record<string, { scope?: string }> : conf.properties;
  for (const k of ['deepseek.sshConfigFile', 'deepseek.hosts']) assert.ok(['machine', 'application'].includes(props[k]?.scope ?? ''), `${k} scope ${props[k]?.scope}`);
});

test('CertificateFile, LocalCommand and KnownHostsCommand: raw as ssh -G prints them, expanded with the tokens each takes', () => {
  const h = home('Host lc\n  HostName lc.example.test\n  CertificateFile ~/.ssh/%h-cert.pub\n  CertificateFile ${DSD_CERT_DIR}/c2\n  KnownHostsCommand /usr/bin/kh %H %I %t %f %K %h %u\n  LocalCommand echo %T %n %h %r\n');
  const local = { ...h.local, env: { ...h.local.env, DSD_CERT_DIR: '/certs' } };
  const r = resolveSpecConfig('alice@lc', { sshConfigFile: h.cfg, local });
  const g = spawnSync('ssh', ['-G', '-F', h.cfg, 'alice@lc'], { input: '', encoding: 'utf8', env: local.env }).stdout.split('\n');
  assert.deepEqual(g.filter((l) => l.startsWith('certificatefile ')).map((l) => l.slice(16)), r.certificatefile);
  assert.ok(g.includes(`localcommand ${r.localcommand ?? ''}`) && g.includes(`knownhostscommand ${r.knownhostscommand ?? ''}`));
  assert.deepEqual(expandedCertificateFiles(r), [path.join(local.home, '.ssh/lc.example.test-cert.pub'), '/certs/c2']);
  assert.equal(expandedLocalCommand(r), 'echo NONE lc lc.example.test alice');
  assert.equal(expandedKnownHostsCommand(r, { f: 'SHA256:abc', H: 'lc.example.test', I: 'HOSTNAME', K: 'AAAA', t: 'ssh-ed25519' }), `/usr/bin/kh lc.example.test HOSTNAME ssh-ed25519 SHA256:abc AAAA lc.example.test ${local.user}`);
});

// ---- CLI
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const cli = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('hosts show --json prints exactly the documented keys, matching ssh -G', () => {
  const h = home([
    'Host gpu-2',
    '  HostName %h.internal.example.test',
    '  User alice',
    '  Port 2202',
    '  IdentityFile ~/.ssh/id_%r_%h',
    '  IdentityAgent ~/agent-%u.sock',
    '  HostKeyAlias gpu-two',
    '  ProxyJump j1,ops@j2:2200',
    'Host gpu-3',
    '  ProxyCommand ssh -W %h:%p -l %r bastion',
    'Host j1',
    '  HostName j1.example.test',
    '',
  ].join('\n'));
  const r = cli('hosts', 'show', 'gpu-2', '--ssh-config', h.cfg, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  const home0 = os.userInfo().homedir;
  assert.deepEqual(j, {
    hostname: 'gpu-2.internal.example.test',
    user: 'alice',
    port: 2202,
    identityFiles: [path.join(home0, '.ssh/id_alice_gpu-2.internal.example.test')],
    proxyJump: ['j1', 'ops@j2:2200'],
    proxyCommand: null,
    identityAgent: path.join(home0, `agent-${os.userInfo().username}.sock`),
    hostKeyAlias: 'gpu-two',
  });
  const g = spawnSync('ssh', ['-G', '-F', h.cfg, 'gpu-2'], { input: '', encoding: 'utf8' }).stdout;
  for (const line of [`hostname ${j.hostname}`, 'user alice', 'port 2202', `identityagent ${j.identityAgent}`, 'hostkeyalias gpu-two', 'proxyjump j1,ops@j2:2200']) assert.ok(g.split('\n').includes(line), `ssh -G prints ${line}`);

  const p = JSON.parse(cli('hosts', 'show', 'bob@gpu-3:2022', '--ssh-config', h.cfg, '--json').stdout) as Record<string, unknown>;
  assert.equal(p.proxyCommand, 'ssh -W gpu-3:2022 -l bob bastion');
  assert.equal(p.proxyJump, null);
  assert.equal(p.user, 'bob');
});

test('hosts lists the aliases with what they resolve to; a broken one is an error, not a silent skip', () => {
  const h = home('Host ok\n  HostName ok.example.test\n  User u\nHost broken\n  ProxyJump broken\n');
  const r = cli('hosts', '--ssh-config', h.cfg);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ok\s+u@ok\.example\.test$/m);
  assert.match(r.stdout, /^broken\s+error: ProxyJump loop/m);
  const bad = cli('hosts', 'show', 'x;id', '--ssh-config', h.cfg);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /refuses/);
  assert.equal(cli('hosts', 'frobnicate').code, 2);
});
