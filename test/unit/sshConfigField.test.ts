import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { currentLocalContext, type SshLocalContext } from '../../src/core/ssh/sshConfig';
import { parseDestination } from '../../src/core/ssh/sshDestination';
import { resolveSpecConfig, resolveTarget } from '../../src/core/ssh/resolveTarget';
import type { SshTarget } from '../../src/core/ssh/sshTarget';

// The ssh-config field corpus (test/field/ssh-config/<case>/: config, includes, case.json) run through our resolver
// AND through OpenSSH's own `ssh -G -F config spec`, both compared with the expected values of case.json.
// Each case is copied to <tmp>/.ssh and ssh runs with HOME=<tmp>, so relative Includes (which OpenSSH takes from
// ~/.ssh) resolve inside the case. %d and ~ in IdentityAgent/ControlPath are the passwd home, for ssh and for us.

const CORPUS = path.resolve(__dirname, '../../../test/field/ssh-config');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-sshcfg-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

interface FieldCase {
  source: string;
  spec: string;
  env?: Record<string, string>;
  expect: Record<string, unknown>;
  jumpChain?: string[];
  warningIncludes?: string;
}

const real = currentLocalContext();
const sshVersion = spawnSync('ssh', ['-V'], { encoding: 'utf8' });

/** {localuser} {home} {uid} {localhost} {shorthost} and {sha1:TEXT} (TEXT with the others substituted first). */
function fill(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fill);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
  if (typeof v !== 'string') return v;
  const basic = (s: string): string => s
    .replaceAll('{localuser}', real.user)
    .replaceAll('{home}', real.home)
    .replaceAll('{uid}', String(real.uid))
    .replaceAll('{localhost}', real.hostname)
    .replaceAll('{shorthost}', real.hostname.split('.')[0]);
  return basic(v).replace(/\{sha1:([^}]*)\}/g, (_m, t: string) => crypto.createHash('sha1').update(t).digest('hex'));
}

function copyCase(dir: string, to: string): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'case.json') continue;
    const src = path.join(dir, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyCase(src, dst);
    else {
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, 0o644); // OpenSSH refuses included files others can write
    }
  }
}

/** `ssh -G` output as keyword → values (identityfile repeated; userknownhostsfile split). */
function sshG(cfg: string, spec: string, env: NodeJS.ProcessEnv): Map<string, string[]> {
  const d = parseDestination(spec);
  const args = ['-G', '-F', cfg, ...(d.user ? ['-l', d.user] : []), ...(d.port ? ['-p', String(d.port)] : []), d.host];
  const r = spawnSync('ssh', args, { env, encoding: 'utf8', input: '', timeout: 20_000 });
  assert.equal(r.status, 0, `ssh ${args.join(' ')} failed: ${r.stderr}`);
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const k = line.slice(0, sp);
    const v = line.slice(sp + 1);
    out.set(k, [...(out.get(k) ?? []), ...(k === 'userknownhostsfile' ? v.split(' ') : [v])]);
  }
  return out;
}

const hopText = (t: SshTarget): string => `${t.user}@${t.host}:${t.port}`;

test('OpenSSH client is installed (the corpus is checked against ssh -G itself)', () => {
  assert.equal(sshVersion.error, undefined, 'ssh not found: install openssh-client (apt-get install -y openssh-client)');
  assert.match(sshVersion.stderr, /OpenSSH_/);
});

const cases = fs.readdirSync(CORPUS).filter((n) => fs.existsSync(path.join(CORPUS, n, 'case.json'))).sort();

test('the corpus has at least 5 cases beyond the issue examples for each kind', () => {
  for (const kind of ['tokens-', 'include-', 'match-', 'proxy-']) assert.ok(cases.filter((c) => c.startsWith(kind)).length >= 6, kind);
  assert.ok(cases.filter((c) => /^(host-|negated-|identityfile-|question-|equals-|user-at-)/.test(c)).length >= 6, 'precedence/negation/defaults');
  for (const c of cases) assert.ok((JSON.parse(fs.readFileSync(path.join(CORPUS, c, 'case.json'), 'utf8')) as FieldCase).source.length > 10, `${c} names its source`);
});

for (const name of cases) {
  test(`ssh-config field case ${name}`, () => {
    const c = JSON.parse(fs.readFileSync(path.join(CORPUS, name, 'case.json'), 'utf8')) as FieldCase;
    const home = path.join(tmpRoot, name);
    const sshDir = path.join(home, '.ssh');
    copyCase(path.join(CORPUS, name), sshDir);
    const cfg = path.join(sshDir, 'config');
    const env = { ...process.env, HOME: home, ...(c.env ?? {}) };
    const local: SshLocalContext = { ...real, envHome: home, env };
    const exp = fill(c.expect) as Record<string, unknown>;

    const ours = resolveSpecConfig(c.spec, { sshConfigFile: cfg, local });
    const g = sshG(cfg, c.spec, env);
    const theirs = (k: string): string | null => g.get(k)?.[0] ?? null;

    // The eight fields hosts show prints, as ssh -G prints them: OpenSSH, us and the expected value agree.
    const oursG: Record<string, unknown> = {
      hostname: ours.hostname,
      user: ours.user,
      port: ours.port,
      identityfile: ours.identityfile,
      proxyjump: ours.proxyjump ?? null,
      proxycommand: ours.proxycommand ?? null,
      identityagent: ours.identityagent ?? null,
      hostkeyalias: ours.hostkeyalias ?? null,
    };
    const sshGFields: Record<string, unknown> = {
      hostname: theirs('hostname'),
      user: theirs('user'),
      port: Number(theirs('port')),
      identityfile: g.get('identityfile') ?? [],
      proxyjump: theirs('proxyjump'),
      proxycommand: theirs('proxycommand'),
      identityagent: theirs('identityagent'),
      hostkeyalias: theirs('hostkeyalias'),
    };
    for (const k of Object.keys(oursG)) {
      assert.deepEqual(sshGFields[k], exp[k], `${name}: ssh -G ${k} vs expected (${c.source})`);
      assert.deepEqual(oursG[k], exp[k], `${name}: our ${k} vs expected`);
    }
    // Token-expanding keywords ssh -G prints expanded, where a case names them.
    for (const k of ['controlpath', 'remotecommand', 'localcommand', 'userknownhostsfile'] as const) {
      if (!(k in exp)) continue;
      const mine = k === 'userknownhostsfile' ? ours.userknownhostsfile : ours[k] ?? null;
      const sshs = k === 'userknownhostsfile' ? g.get(k) : theirs(k);
      assert.deepEqual(sshs, exp[k], `${name}: ssh -G ${k}`);
      assert.deepEqual(mine, exp[k], `${name}: our ${k}`);
    }

    // What we connect to: the target resolveTarget builds from the same resolution.
    const t = resolveTarget(c.spec, { sshConfigFile: cfg, local });
    assert.ok(!('kind' in t));
    assert.equal(t.host, exp.hostname);
    assert.equal(t.user, exp.user);
    assert.equal(t.port, exp.port);
    assert.deepEqual(t.identityFiles, exp.identityFiles, `${name}: identity files expanded`);
    if ('proxyCommand' in exp) assert.equal(t.proxyCommand, exp.proxyCommand);
    else assert.equal(t.proxyCommand, undefined);
    if (c.jumpChain) assert.deepEqual((t.jump ?? []).map(hopText), fill(c.jumpChain), `${name}: ProxyJump chain`);
    if (c.warningIncludes) assert.ok(ours.warnings.some((w) => w.includes(c.warningIncludes!)), ours.warnings.join('\n'));
    if (!c.warningIncludes) assert.deepEqual(ours.warnings, [], `${name}: no warnings`);
  });
}
