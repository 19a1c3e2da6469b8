import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { planToScript, renderLaunch } from '../../src/core/runtimes/launchPlan';
import { createStubHost } from '../helpers/stubHost';

// Issue 3/8, kind 1 (free text never crosses into another language raw) and kind 2 (one value means the same on
// every runtime): every profile field that reaches a script × every runtime × payloads for each language the value
// lands in. Each payload first goes through a naive renderer (string concatenation, as the old code did for
// #SBATCH lines) and must create its canary there — proving the payload is live — then through ours: either the
// schema refuses it naming the field, or the rendered steps, run through the real remote-script transport against
// argv-logging stubs, create no canary and deliver the value byte for byte.

type Kind = 'docker' | 'compose' | 'slurm' | 'process';
const RUNTIMES: Kind[] = ['docker', 'compose', 'slurm', 'process'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-corpus-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Payloads live in a shell word (the value lands unquoted in bash). */
/** Each shell payload must be live on its own in the naive renderer; one word carries every syntax (kept fast: < 3 min tier). */
const shellPayloads = (c: string): string[] => [`m$(touch ${c})\`touch ${c}\`;touch ${c}|touch ${c}&&touch ${c}`, `m\ntouch ${c}`];
/** Payloads live in a `#SBATCH` directive line (only a line break escapes a comment). */
const directivePayloads = (c: string): string[] => [`gpu\ntouch ${c}`, `gpu\rx\ntouch ${c}`, `gpu\u2028\ntouch ${c}`];

const naiveShell = (value: string): string => `: ${value}\n`;
const naiveDirective = (value: string): string => `#!/bin/bash\n#SBATCH --partition=${value}\n:\n`;

function base(kind: Kind, flavor: 'vllm' | 'sglang'): ProfileInput {
  const runtime = kind === 'slurm' ? { kind, gpusPerNode: 1 } : { kind };
  return { name: 'corpus', host: 'local', engine: { kind: flavor }, model: { id: 'deepseek-ai/DeepSeek-R1' }, parallel: { tp: 1 }, knobs: { port: 18999 }, env: { DSD_TEST_ENV: 'plain' }, runtime };
}

interface Field {
  readonly name: string;
  readonly runtimes: readonly Kind[];
  readonly directive?: boolean;
  set(p: ProfileInput, v: string): void;
  /** Where the value must arrive unchanged when the schema accepts it. */
  arrived(calls: string[][], jobScripts: string[], composeFiles: string[], v: string): boolean;
}

const argWord = (calls: string[][], v: string): boolean => calls.some((c) => c.includes(v));
type ComposeService = { command: string[]; environment: string[]; volumes: string[] };
const services = (files: string[]): ComposeService[] => files.flatMap((f) => Object.values((parseYaml(f) as { services: Record<string, ComposeService> }).services));
/** Compose reads `$$` as a literal `$` (and interpolates a lone `$`): the file must hold the value with `$` doubled. */
const composeForm = (v: string): string => v.replace(/\$/g, '$$$$');
const composeCommandHas = (files: string[], v: string): boolean => services(files).some((s) => s.command.includes(composeForm(v)));
const engineSaw = (calls: string[][], files: string[], v: string): boolean => argWord(calls, v) || composeCommandHas(files, v);

const envArrived = (calls: string[][], files: string[], v: string): boolean =>
  calls.some((c) => c[0] !== 'docker' && c.at(-1) === `ENV=${v}`) || argWord(calls, `DSD_TEST_ENV=${v}`) || services(files).some((s) => s.environment.includes(`DSD_TEST_ENV=${composeForm(v)}`));

const FIELDS: Field[] = [
  { name: 'model.id', runtimes: RUNTIMES, set: (p, v) => { p.model.id = v; }, arrived: (c, _j, f, v) => engineSaw(c, f, v) },
  { name: 'model.servedModelName', runtimes: RUNTIMES, set: (p, v) => { p.model.servedModelName = v; }, arrived: (c, _j, f, v) => engineSaw(c, f, v) },
  // SGLang has no --revision: the vLLM runtimes of the rotation carry it.
  { name: 'model.revision', runtimes: ['docker', 'slurm'], set: (p, v) => { p.model.revision = v; }, arrived: (c, _j, f, v) => engineSaw(c, f, v) },
  { name: 'knobs.extraArgs', runtimes: RUNTIMES, set: (p, v) => { p.knobs = { ...p.knobs, extraArgs: ['--chat-template', v] }; }, arrived: (c, _j, f, v) => engineSaw(c, f, v) },
  { name: 'env', runtimes: RUNTIMES, set: (p, v) => { p.env = { DSD_TEST_ENV: v }; }, arrived: (c, _j, f, v) => envArrived(c, f, v) },
  { name: 'engine.image', runtimes: ['docker', 'compose'], set: (p, v) => { p.engine.image = v; }, arrived: (c, _j, f, v) => engineSaw(c, f, v) },
  { name: 'runtime.partition', runtimes: ['slurm'], directive: true, set: (p, v) => { (p.runtime as { partition?: string }).partition = v; }, arrived: (_c, j, _f, v) => j.some((s) => s.includes(v)) },
  { name: 'runtime.account', runtimes: ['slurm'], directive: true, set: (p, v) => { (p.runtime as { account?: string }).account = v; }, arrived: (_c, j, _f, v) => j.some((s) => s.includes(v)) },
  { name: 'runtime.constraint', runtimes: ['slurm'], directive: true, set: (p, v) => { (p.runtime as { constraint?: string }).constraint = v; }, arrived: (_c, j, _f, v) => j.some((s) => s.includes(v)) },
  { name: 'runtime.workdir', runtimes: ['slurm', 'process'], set: (p, v) => { (p.runtime as { workdir?: string }).workdir = `~/w/${v}`; }, arrived: (_c, _j, _f, v) => fs.existsSync(path.join(stubHome, 'w', v)) },
  { name: 'runtime.hfCache', runtimes: ['docker', 'compose'], set: (p, v) => { (p.runtime as { hfCache?: string }).hfCache = `/srv/${v}`; }, arrived: (c, _j, f, v) => argWord(c, `/srv/${v}:/root/.cache/huggingface`) || services(f).some((s) => s.volumes.includes(`/srv/${composeForm(v)}:/root/.cache/huggingface`)) },
  { name: 'runtime.directory', runtimes: ['compose'], set: (p, v) => { (p.runtime as { directory?: string }).directory = `~/c/${v}`; }, arrived: (_c, _j, _f, v) => fs.existsSync(path.join(stubHome, 'c', v)) },
  { name: 'host', runtimes: RUNTIMES, set: (p, v) => { p.host = v; }, arrived: () => true },
];
let stubHome = '';

for (const field of FIELDS) {
  test(`kind 1: ${field.name} × ${field.runtimes.join('/')}: payloads that run through a naive renderer are refused or delivered literally by ours`, () => {
    let n = 0;
    for (const kind of field.runtimes) {
      // Both engines are covered, alternating by runtime (their command lines differ; the quoting path is shared).
      for (const flavor of [kind === 'docker' || kind === 'slurm' ? 'vllm' : 'sglang'] as const) {
        const canary = path.join(tmp, `canary-${field.name}-${kind}-${flavor}-${n++}`);
        const payloads = field.directive ? directivePayloads(canary) : shellPayloads(canary);
        for (const [pi, payload] of payloads.entries()) {
          // 1. The payload is live: a naive renderer runs it.
          spawnSync('bash', ['-c', field.directive ? naiveDirective(payload) : naiveShell(payload)], { cwd: tmp });
          assert.ok(fs.existsSync(canary), `${field.name}: payload ${JSON.stringify(payload)} creates its canary through a naive renderer`);
          fs.rmSync(canary);
          // 2. Ours.
          const p = base(kind, flavor);
          field.set(p, payload);
          const parsed = ProfileSchema.safeParse(p);
          if (!parsed.success) {
            const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
            assert.ok(msg.includes(field.name.split('.')[0]), `${field.name}: the refusal names the field (${msg})`);
            continue;
          }
          const host = createStubHost();
          stubHome = host.home;
          try {
            const plan = renderLaunch(parsed.data, { apiKey: undefined });
            host.runStart(plan);
            assert.ok(!fs.existsSync(canary), `${field.name} on ${kind}/${flavor}: ${JSON.stringify(payload)} ran through our scripts`);
            assert.ok(field.arrived(host.calls(), host.jobScripts(), host.composeFiles(), payload), `${field.name} on ${kind}/${flavor}: ${JSON.stringify(payload)} arrived byte for byte`);
            // The "exact script" shown to users is safe to paste into bash, too (up to the endless log follow).
            if (pi > 0) continue;
            const shown = planToScript(plan).split('\n# follow the log')[0];
            const r = host.bash(shown);
            assert.equal(r.code, 0, `${field.name} on ${kind}: the shown script runs (${r.stderr})`);
            assert.ok(!fs.existsSync(canary), `${field.name} on ${kind}/${flavor}: ${JSON.stringify(payload)} ran through the shown script`);
          } finally {
            host.dispose();
          }
        }
      }
    }
  });
}

test('kind 2: one value means the same on every runtime: $VAR, ${VAR}, ~ and $(…) in engine arguments and env arrive literally', () => {
  const value = '$HOME:${SLURM_JOB_ID}:~/x:$DSD_HEAD_ADDR';
  const seen: Record<string, { served: boolean; env: boolean }> = {};
  for (const kind of RUNTIMES) {
    const p = base(kind, 'vllm');
    p.model.servedModelName = value;
    p.env = { DSD_TEST_ENV: value };
    const host = createStubHost();
    try {
      host.runStart(renderLaunch(ProfileSchema.parse(p)));
      const calls = host.calls();
      const files = host.composeFiles();
      seen[kind] = {
        served: engineSaw(calls, files, value),
        env: envArrived(calls, files, value),
      };
    } finally {
      host.dispose();
    }
  }
  assert.deepEqual(seen, Object.fromEntries(RUNTIMES.map((k) => [k, { served: true, env: true }])));
});

test('kind 2: the rank variables of a multi-node SLURM job come from our script, a profile value never expands', () => {
  const p = base('slurm', 'sglang');
  p.parallel = { tp: 16, nodes: 2 };
  (p.runtime as { multiNode?: string }).multiNode = 'native';
  p.model.servedModelName = '$SLURM_NODEID';
  const host = createStubHost();
  try {
    host.runStart(renderLaunch(ProfileSchema.parse(p)));
    const engine = host.calls().find((c) => c[0] === 'python3')!;
    assert.ok(engine, 'the engine ran');
    assert.equal(engine[engine.indexOf('--node-rank') + 1], '0', 'rank from $SLURM_NODEID set by srun');
    assert.equal(engine[engine.indexOf('--served-model-name') + 1], '$SLURM_NODEID', 'the profile value stays literal');
    assert.equal(engine[engine.indexOf('--host') + 1], '127.0.0.1', 'binds the node address from scontrol');
    assert.match(engine[engine.indexOf('--dist-init-addr') + 1], /^127\.0\.0\.1:\d+$/);
  } finally {
    host.dispose();
  }
});

test('kind 1: the shown script uses the real run\'s quoting and a random here-document delimiter; comments cannot be broken out of', () => {
  const p = base('compose', 'vllm');
  p.host = 'h$(x)';
  const plan = renderLaunch(ProfileSchema.parse(p));
  const a = planToScript(plan);
  const b = planToScript(plan);
  const delim = (s: string): string => /<<'(DSD_EOF_[0-9a-f]{24})'/.exec(s)![1];
  assert.notEqual(delim(a), delim(b), 'a fresh delimiter each time, as in the real run');
  // eslint-disable-next-line no-control-regex -- control characters are what must not be there
  for (const l of a.split('\n')) if (l.startsWith('#')) assert.ok(!/[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/.test(l), `comment line is plain text: ${l}`);
});
