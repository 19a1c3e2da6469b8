import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PRESETS } from '../../src/core/profiles/presets';
import { ProfileSchema } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { shQuote, showShellVars } from '../../src/core/ssh/shellQuote';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { checkProfileFit } from '../../src/core/plan/profileFit';
import { checkEngineVersion } from '../../src/core/plan/versionGate';
import { parseGpuSpec } from '../../src/core/plan/catalog';
import { BENCH_PRESETS } from '../../src/core/bench/presets';

// Golden files (test/unit/fixtures/presets/<id>.golden): "# source:" the reference row, "# recipe:" the recipe's command
// as the reference gives it, then the exact command line the preset renders (environment + engine argv).
const FIXTURES = path.resolve(__dirname, '../../../test/unit/fixtures/presets');
const recipes = PRESETS.filter((p) => p.source);

function golden(id: string): { source: string; recipe: string; rendered: string } {
  const lines = readFileSync(path.join(FIXTURES, `${id}.golden`), 'utf8').trimEnd().split('\n');
  return { source: lines[0].replace(/^# source: /, ''), recipe: lines[1].replace(/^# recipe: /, ''), rendered: lines[2] };
}

const words = (line: string): string[] => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
const ALIASES: Record<string, string> = { '-dp': '--data-parallel-size', '-tp': '--tensor-parallel-size' };

/** Flag → value ('' for a switch), environment assignments, and the model, from a recipe or a rendered command. */
function flagsOf(argv: readonly string[]): { flags: Map<string, string>; env: Map<string, string>; model?: string } {
  const flags = new Map<string, string>();
  const env = new Map<string, string>();
  let model: string | undefined;
  let i = 0;
  for (; i < argv.length && /^[A-Z_][A-Z0-9_]*=/.test(argv[i]); i++) env.set(argv[i].split('=')[0], argv[i].slice(argv[i].indexOf('=') + 1));
  if (argv[i] === 'vllm' && argv[i + 1] === 'serve') [model, i] = [argv[i + 2], i + 3];
  else if (argv[i] === 'sglang' && argv[i + 1] === 'serve') i += 2;
  else if (argv[i] === 'python3' && argv[i + 1] === '-m') i += 3;
  for (; i < argv.length; i++) {
    let name = ALIASES[argv[i]] ?? argv[i];
    let value = '';
    if (name.includes('=')) [name, value] = [name.slice(0, name.indexOf('=')), name.slice(name.indexOf('=') + 1)];
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (name === '--model' || name === '--model-path') model = value;
    else flags.set(name, value);
  }
  return { flags, env, model };
}

const same = (a: string, b: string): boolean => a === b || (a !== '' && b !== '' && !Number.isNaN(Number(a)) && Number(a) === Number(b));

test('every recipe preset renders its golden command, and that command carries every flag and variable of the recipe', () => {
  assert.ok(recipes.length >= 12);
  for (const p of recipes) {
    const g = golden(p.id);
    const prof = ProfileSchema.parse(p.profile);
    const plan = renderLaunch(prof);
    const rendered = [...Object.entries(prof.env).map(([k, v]) => `${k}=${shQuote(v)}`), ...plan.engineCommand.map((w) => shQuote(showShellVars(w)))].join(' ');
    assert.equal(rendered, g.rendered, `${p.id}: rendered command differs from its golden file`);
    assert.ok(p.source!.split(' ')[0] === g.source.split(' ')[0], `${p.id}: golden source ${g.source} vs preset ${p.source}`);
    const want = flagsOf(words(g.recipe));
    const got = flagsOf([...Object.entries(prof.env).map(([k, v]) => `${k}=${v}`), ...plan.engineCommand.map(showShellVars)]);
    assert.equal(got.model, want.model ?? prof.model.id, p.id);
    for (const [k, v] of want.env) assert.equal(got.env.get(k), v, `${p.id}: env ${k}`);
    for (const [flag, value] of want.flags) {
      if (flag === '--nnodes') continue; // the multi-node flags are injected per node (checked below)
      assert.ok(got.flags.has(flag), `${p.id}: recipe flag ${flag} missing from ${rendered}`);
      assert.ok(same(got.flags.get(flag)!, value), `${p.id}: ${flag} ${got.flags.get(flag)} ≠ recipe ${value}`);
    }
  }
});

test('every recipe preset\'s engine command is accepted by the engine argparse model (the simulator can run it)', () => {
  for (const p of recipes) {
    const prof = ProfileSchema.parse(p.profile);
    // Shell expressions evaluated per node ($SLURM_NODEID …) stand for rank 0 here.
    const cfg = parseEngineCommand(renderLaunch(prof).engineCommand.map((w) => showShellVars(w).replace(/\$\{SLURM_NODEID\}/, '0').replace(/\$\{DSD_HEAD_ADDR\}:\$\{DSD_RDZV_PORT\}/, '127.0.0.1:5000')));
    assert.equal(cfg.model, prof.model.id, p.id);
    assert.equal(cfg.tp, prof.parallel.tp, p.id);
  }
});

test('multi-node V4-Pro (2 × 8 H200, SGLang): per-node rank flags and the recipe\'s environment on SLURM', () => {
  const p = ProfileSchema.parse(PRESETS.find((x) => x.id === 'v4pro-fp8-h200x16-sglang-2nodes')!.profile);
  const plan = renderLaunch(p);
  assert.ok(plan.engineCommand.includes('--nnodes') && plan.engineCommand.includes('--node-rank') && plan.engineCommand.includes('--dist-init-addr'));
  const script = plan.start.at(-1)!.stdin!;
  assert.match(script, /#SBATCH --nodes=2/);
  assert.match(script, /SGLANG_DSV4_FP4_EXPERTS=0/);
});

test('each recipe preset fits its own GPUs (or says why), AMD recipes are render-only, V4.1 states its host RAM', () => {
  for (const p of recipes) {
    const prof = ProfileSchema.parse(p.profile);
    const all = parseGpuSpec(p.gpus);
    const v = checkProfileFit(prof, { count: all.count / prof.parallel.nodes, model: all.model });
    assert.equal(v.refuse, false, `${p.id}: ${v.summary}`);
    assert.ok(v.fit?.fits, `${p.id}: ${v.summary}`);
    assert.equal(!!p.renderOnly, /MI3\d\dX/.test(p.gpus), p.id);
  }
  const v41 = checkProfileFit(ProfileSchema.parse(PRESETS.find((x) => x.id === 'v41flash-gb300x4-sglang-dspark')!.profile), parseGpuSpec('4xGB300'));
  assert.match(v41.summary, /512 GiB host RAM per worker/);
});

test('engine-version gate: V4 on a vLLM 0.9 image is refused with the reason; DSpark checkpoints need 0.25; latest is not gated', () => {
  const base = PRESETS.find((x) => x.id === 'v4flash-h200x4-vllm-dep')!.profile;
  const old = ProfileSchema.parse({ ...base, engine: { kind: 'vllm', version: '0.9.0' } });
  const v = checkProfileFit(old, parseGpuSpec('4xH200'));
  assert.equal(v.refuse, true);
  assert.equal(v.summary, 'refused: DeepSeek-V4-Flash (DeepseekV4ForCausalLM) needs vLLM ≥ 0.20.0; the profile runs 0.9.0. Set engine.version (or the image) to 0.20.0 or later');
  // allowMisfit does not override an engine that cannot load the model.
  assert.equal(checkProfileFit(ProfileSchema.parse({ ...base, allowMisfit: true, engine: { kind: 'vllm', image: 'vllm/vllm-openai:v0.9.0' } }), parseGpuSpec('4xH200')).refuse, true);
  const dspark = ProfileSchema.parse({ ...PRESETS.find((x) => x.id === 'v4pro0813-b200x8-vllm-tep')!.profile, engine: { kind: 'vllm', version: '0.20.0' } });
  assert.match(checkEngineVersion(dspark).reason!, /DeepSeek-V4-Pro-0813 .* needs vLLM ≥ 0\.25\.0/);
  assert.equal(checkEngineVersion(ProfileSchema.parse({ ...base, engine: { kind: 'vllm' } })).refuse, false);
  assert.equal(checkEngineVersion(ProfileSchema.parse({ ...base, engine: { kind: 'vllm', image: 'vllm/vllm-openai:deepseekv41-flash-0909' } })).refuse, false);
  // The seed presets (R1 on vLLM 0.7.3 … 0.9.0) stay allowed: DeepSeek-V3/R1 run from vLLM 0.6.6.
  for (const p of PRESETS.filter((x) => x.seed)) assert.equal(checkEngineVersion(ProfileSchema.parse(p.profile)).refuse, false, p.id);
});

test('V4 benchmark presets: 32K/1K long context and the agentic trace shape (64K in, 90% shared prefix, 400 out)', () => {
  const long = BENCH_PRESETS.find((b) => b.id === 'v4-long-context')!;
  assert.ok(long.runs.every((r) => r.random.inputLen === 32768 && r.random.outputLen === 1024));
  const agentic = BENCH_PRESETS.find((b) => b.id === 'v4-agentic-shape')!.runs[0].random;
  assert.equal(agentic.prefixLen + agentic.inputLen, 65536);
  assert.ok(Math.abs(agentic.prefixLen / (agentic.prefixLen + agentic.inputLen) - 0.9) < 0.001);
  assert.equal(agentic.outputLen, 400);
});
