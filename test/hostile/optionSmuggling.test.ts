import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch, type LaunchPlan } from '../../src/core/runtimes/launchPlan';
import { parseProfileYaml, ProfileError } from '../../src/core/profiles/profileYaml';

// Issue 3/8, kind 3: no option smuggling, no hidden text. A positional value that starts with "-" is read as an option
// by the engine, docker or sbatch; a bidirectional control shows a reviewer text in another order than it runs
// (Trojan Source, CVE-2021-42574). Both are refused by the schema, with an error naming the field.

const base = (): ProfileInput => ({ name: 'smuggle', engine: { kind: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, runtime: { kind: 'docker' } });
const issues = (p: unknown): string => {
  const r = ProfileSchema.safeParse(p);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

const POSITIONAL: Array<[string, (p: ProfileInput, v: string) => ProfileInput]> = [
  ['model.id', (p, v) => ({ ...p, model: { id: v } })],
  ['model.servedModelName', (p, v) => ({ ...p, model: { id: 'm', servedModelName: v } })],
  ['model.revision', (p, v) => ({ ...p, model: { id: 'm', revision: v } })],
  ['engine.image', (p, v) => ({ ...p, engine: { kind: 'vllm', image: v } })],
  ['host', (p, v) => ({ ...p, host: v })],
  ['runtime.hfCache', (p, v) => ({ ...p, runtime: { kind: 'docker', hfCache: v } })],
  ['runtime.gpus', (p, v) => ({ ...p, runtime: { kind: 'docker', gpus: v } })],
  ['runtime.directory', (p, v) => ({ ...p, runtime: { kind: 'compose', directory: v } })],
  ['runtime.workdir', (p, v) => ({ ...p, runtime: { kind: 'process', workdir: v } })],
  ['runtime.partition', (p, v) => ({ ...p, runtime: { kind: 'slurm', partition: v } })],
  ['runtime.account', (p, v) => ({ ...p, runtime: { kind: 'slurm', account: v } })],
  ['runtime.constraint', (p, v) => ({ ...p, runtime: { kind: 'slurm', constraint: v } })],
];

test('kind 3: positional values starting with "-" are refused, naming the field (model ids, images, partitions, paths, host)', () => {
  for (const value of ['--help', '-oProxyCommand=touch /tmp/x', '--trust-remote-code', '-v']) {
    for (const [field, set] of POSITIONAL) {
      const msg = issues(set(base(), value));
      assert.ok(msg.startsWith(field), `${field}=${value}: refused naming the field (${msg || 'accepted'})`);
    }
  }
});

test('kind 3: the bind address and API key cannot be smuggled through extraArgs; SLURM containers are refused with a reason', () => {
  for (const extra of [['--host', '0.0.0.0'], ['--host=0.0.0.0'], ['--api-key', 'k'], ['--api-key=k']]) {
    assert.match(issues({ ...base(), knobs: { extraArgs: extra } }), /^knobs\.extraArgs: .*knobs\.host.*apiKeySecret/);
  }
  assert.match(issues({ ...base(), runtime: { kind: 'slurm', container: 'docker' } }), /^runtime\.container: .*pyxis.*not supported/);
  assert.equal(issues({ ...base(), runtime: { kind: 'slurm', container: 'none' } }), '');
});

const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];

test('kind 3: bidirectional controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) are refused in any value, even the description', () => {
  for (const c of BIDI) {
    const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    const cases: Array<[string, ProfileInput]> = [
      ['model.id', { ...base(), model: { id: `deepseek-ai/R1${c}` } }],
      ['env.NCCL_DEBUG', { ...base(), env: { NCCL_DEBUG: `INFO${c}` } }],
      ['knobs.extraArgs.1', { ...base(), knobs: { extraArgs: ['--chat-template', `t${c}x`] } }],
      ['description', { ...base(), description: `safe ${c}evil` }],
      ['runtime.hfCache', { ...base(), runtime: { kind: 'docker', hfCache: `/d${c}/x` } }],
    ];
    for (const [field, p] of cases) {
      const msg = issues(p);
      assert.ok(msg.startsWith(field) && msg.includes(code) && msg.includes('bidirectional'), `${field} with ${code}: ${msg || 'accepted'}`);
    }
  }
});

test('kind 3: control characters (NUL, CR, ESC, DEL, C1, U+2028) are refused; a description may span lines', () => {
  for (const c of ['\u0000', '\r', '\u001b', '\u007f', '\u0085', '\u2028', '\t']) assert.match(issues({ ...base(), model: { id: `m${c}x` } }), /^model\.id: .*contains/);
  assert.equal(issues({ ...base(), description: 'line one\nline two' }), '');
});

test('kind 3: a profile file with a smuggled value fails with the field and its line, before anything renders', () => {
  const yaml = 'name: smuggle\nengine:\n  kind: vllm\nmodel:\n  id: "--help"\nruntime:\n  kind: docker\n';
  assert.throws(() => parseProfileYaml(yaml, 'x.deepseek.yaml'), (e: unknown) => e instanceof ProfileError && /x\.deepseek\.yaml:5:\d+: model\.id: .*must not start with "-"/.test(e.message));
});

test('kind 3: a Profile built in code cannot bypass the checks: renderLaunch validates again', () => {
  const p = ProfileSchema.parse(base());
  const bad = { ...p, model: { ...p.model, id: '--help' } };
  assert.throws((): LaunchPlan => renderLaunch(bad), /model\.id must not start with "-"/);
});
