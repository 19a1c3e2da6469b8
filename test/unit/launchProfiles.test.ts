import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PRESETS } from '../../src/core/profiles/presets';
import { ProfileSchema, profileJsonSchema } from '../../src/core/profiles/profileSchema';
import { parseProfileYaml, ProfileError } from '../../src/core/profiles/profileYaml';
import { engineArgv, engineVersionOf, flavorOf } from '../../src/core/engines/engineArgv';
import { planToScript, renderLaunch } from '../../src/core/runtimes/launchPlan';
import { remoteHomePath } from '../../src/core/ssh/shellQuote';
import { checkFlagsForVersion, parseEngineCommand } from '../../src/simulator/engineArgs';
import { checkProfileFit } from '../../src/core/plan/profileFit';
import { parseGpuSpec } from '../../src/core/plan/catalog';

const preset = (id: string) => ProfileSchema.parse(PRESETS.find((p) => p.id === id)!.profile);

/** True when `needle` appears in `hay` in order (other flags may sit between). */
const inOrder = (hay: readonly string[], needle: readonly string[]): boolean => {
  let i = 0;
  for (const w of hay) if (w === needle[i]) i++;
  return i === needle.length;
};

test('every preset validates, and its engine command is accepted by the engine argparse model for its version', () => {
  assert.equal(PRESETS.filter((p) => p.seed).length, 9);
  for (const p of PRESETS) {
    const prof = ProfileSchema.parse(p.profile);
    const form = prof.runtime.kind === 'docker' || prof.runtime.kind === 'compose' ? 'image' : 'serve';
    const argv = engineArgv(prof, form, prof.parallel.nodes > 1 ? { mode: 'ray', nodes: prof.parallel.nodes } : undefined);
    const cfg = parseEngineCommand(argv);
    assert.equal(cfg.flavor, flavorOf(prof), p.id);
    assert.deepEqual(checkFlagsForVersion(cfg, engineVersionOf(prof)), [], `${p.id}: no deprecated flags for ${engineVersionOf(prof)}`);
    assert.equal(cfg.tp, prof.parallel.tp, p.id);
  }
});

test('seed 003: TP+EP and DP+EP commands are the recipe\'s, in its order', () => {
  assert.ok(inOrder(engineArgv(preset('h200x8-vllm-tp-ep'), 'serve'), ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1-0528', '--trust-remote-code', '--tensor-parallel-size', '8', '--enable-expert-parallel']));
  const dp = engineArgv(preset('h200x8-vllm-dp-ep'), 'serve');
  assert.ok(inOrder(dp, ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1-0528', '--trust-remote-code', '--data-parallel-size', '8', '--enable-expert-parallel']));
  assert.ok(!dp.includes('--tensor-parallel-size'));
  const fp4 = renderLaunch(preset('b200x4-vllm-fp4-tp-ep'));
  assert.ok(inOrder(fp4.engineCommand, ['vllm', 'serve', 'nvidia/DeepSeek-R1-FP4', '--trust-remote-code', '--tensor-parallel-size', '4', '--enable-expert-parallel']));
  assert.match(planToScript(fp4), /VLLM_ATTENTION_BACKEND=CUTLASS_MLA VLLM_USE_FLASHINFER_MOE_FP4=1 CUDA_VISIBLE_DEVICES=0,1,2,3 setsid nohup vllm serve/);
});

test('seed 001: SGLang in docker with --gpus all, --shm-size 32g, host network, HF cache mount, DP attention', () => {
  const plan = renderLaunch(preset('h200x8-sglang-dp-attention-docker'));
  const run = plan.start.at(-1)!.argv;
  assert.ok(inOrder(run, ['docker', 'run', '--gpus', 'all', '--ipc=host', '--shm-size', '32g', '-v', `${remoteHomePath('~/.cache/huggingface')}:/root/.cache/huggingface`, '--network=host', 'lmsysorg/sglang:latest']));
  assert.ok(inOrder(plan.engineCommand, ['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-R1', '--tp', '8', '--trust-remote-code', '--enable-dp-attention']));
});

test('seed 002: vLLM over Ray across nodes with the recipe\'s flags (0.8.5 still needs --enable-reasoning)', () => {
  const plan = renderLaunch(preset('h100x16-vllm-slurm-ray'));
  const want = ['--tensor-parallel-size', '16', '--max-num-seqs', '112', '--max-num-batched-tokens', '57344', '--gpu-memory-utilization', '0.9', '--trust-remote-code', '--enable-reasoning', '--enforce-eager', '--reasoning-parser', 'deepseek_r1', '--distributed-executor-backend', 'ray', '--port', '8000'];
  for (let i = 0; i < want.length; i++) if (want[i].startsWith('--')) assert.ok(plan.engineCommand.includes(want[i]), want[i]);
  const script = plan.start.at(-1)!.stdin!;
  for (const l of ['#SBATCH --nodes=4', '#SBATCH --ntasks-per-node=1', '#SBATCH --gres=gpu:4', '#SBATCH --cpus-per-task=96', '#SBATCH --mem=1440G', '#SBATCH --exclusive', '#SBATCH --constraint=h100', '#SBATCH --time=03-00:00:00']) assert.ok(script.includes(l), l);
  assert.match(script, /ray start --head/);
});

test('seed 004: the vLLM image form with the recipe\'s environment and port mapping', () => {
  const run = renderLaunch(preset('b200x8-vllm-docker')).start.at(-1)!.argv;
  assert.ok(inOrder(run, ['--ipc=host', '-p', '127.0.0.1:8000:8000', '-e', 'VLLM_USE_V1=1', '-e', 'VLLM_FLASH_ATTN_VERSION=2', '-e', 'VLLM_ATTENTION_BACKEND=FLASHINFER', '-e', 'VLLM_WORKER_MULTIPROC_METHOD=spawn', 'vllm/vllm-openai:v0.9.0', '--model', 'deepseek-ai/DeepSeek-R1', '--trust-remote-code', '--tensor-parallel-size', '8', '--disable-log-requests']));
});

test('seed 000: compose file for the AWQ model with max-model-len 8000 and max-num-seqs 128', () => {
  const plan = renderLaunch(preset('h100x8-awq-vllm-compose'));
  const file = plan.start.find((s) => s.description.startsWith('write the compose file'))!.stdin!;
  assert.match(file, /vllm-server:/);
  assert.match(file, /image: vllm\/vllm-openai:v0\.7\.3/);
  assert.match(file, /- --max-model-len\n\s+- "8000"/);
  assert.match(file, /count: all/);
});

test('rendered scripts are valid shell for every preset; the HF token appears in no argv, compose file or job script', () => {
  const secret = 'hf_SuperSecretToken123';
  for (const p of PRESETS) {
    const plan = renderLaunch(ProfileSchema.parse(p.profile), { hfToken: secret });
    const script = planToScript(plan);
    assert.ok(!script.includes(secret), `${p.id}: rendered script`);
    for (const s of plan.start) {
      assert.ok(!s.argv.join(' ').includes(secret), `${p.id}: argv of "${s.description}"`);
      if (s.stdin?.includes(secret)) assert.ok(s.secretStdin && s.description.includes('token'), `${p.id}: token only in the token step`);
    }
    assert.equal(plan.start.filter((s) => s.stdin === secret).length, 1);
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    assert.equal(r.status, 0, `${p.id}: ${r.stderr}`);
  }
});

test('a bad profile names the field and its line', () => {
  const yaml = ['name: my-r1', 'engine:', '  kind: vllm', 'model:', '  id: deepseek-ai/DeepSeek-R1', 'knobs:', '  maxModelLength: 8000', 'runtime:', '  kind: docker', '  shmSize: lots'].join('\n');
  assert.throws(() => parseProfileYaml(yaml, 'r1.deepseek.yaml'), (e: unknown) => {
    assert.ok(e instanceof ProfileError);
    const byField = new Map(e.issues.map((i) => [i.field, i]));
    assert.equal(byField.get('knobs.maxModelLength')?.line, 7);
    assert.match(byField.get('knobs.maxModelLength')!.message, /unknown field/);
    assert.equal(byField.get('runtime.shmSize')?.line, 10);
    assert.match(e.message, /r1\.deepseek\.yaml:10:\d+: runtime\.shmSize: expected a size like 32g/);
    return true;
  });
  assert.throws(() => parseProfileYaml('name: x\nengine: {kind: vllm}\nmodel: {id: m}\nruntime: {kind: k8s}\n'), /runtime\.kind/);
  assert.throws(() => parseProfileYaml('name: x\nengine: {kind: vllm}\nmodel: {id: m}\nruntime: {kind: docker}\nenv: {HF_TOKEN: hf_x}\n'), /env: do not put the HF token in a profile/);
  assert.throws(() => parseProfileYaml('name: [unclosed\n'), /YAML/);
  assert.equal(parseProfileYaml('name: ok\nengine: {kind: simulator}\nmodel: {id: deepseek-ai/DeepSeek-R1}\nruntime: {kind: process}\n').parallel.tp, 8);
});

test('the JSON schema for completion comes from the same schema', () => {
  const s = profileJsonSchema() as { properties: Record<string, unknown>; required: string[] };
  assert.ok(s.properties.runtime && s.properties.knobs);
  assert.ok(s.required.includes('engine') && s.required.includes('runtime'));
});

test('the planner refuses a certain misfit unless the profile allows it; the seed presets fit their own GPUs', () => {
  for (const p of PRESETS) {
    const prof = ProfileSchema.parse(p.profile);
    const perNode = parseGpuSpec(p.gpus);
    const v = checkProfileFit(prof, { count: perNode.count / prof.parallel.nodes, model: perNode.model });
    assert.equal(v.refuse, false, `${p.id}: ${v.summary}`);
  }
  const fp8OnH100 = ProfileSchema.parse({ name: 'x', engine: { kind: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, runtime: { kind: 'docker' } });
  const v = checkProfileFit(fp8OnH100, parseGpuSpec('8xH100-80GB'));
  assert.equal(v.refuse, true);
  assert.match(v.summary, /does not fit on 8× H100-80GB: the weights do not fit/);
  assert.equal(checkProfileFit({ ...fp8OnH100, allowMisfit: true }, parseGpuSpec('8xH100-80GB')).refuse, false);
});

test('a simulator profile\'s engine.version reaches the simulator as --engine-version: its version gate follows the profile', async () => {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  // A port already taken: a simulator that passes the gate fails to bind and exits instead of serving.
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as AddressInfo).port;
  try {
    const sim = (version: string) => renderLaunch(ProfileSchema.parse({ ...PRESETS.find((p) => p.id === 'v4flash-h200x4-vllm-dep')!.profile, name: 'sim-v4', engine: { kind: 'simulator', imitates: 'vllm', version }, knobs: { port }, runtime: { kind: 'process' } }), { simulatorCommand: [process.execPath, cli], simulatorOptions: ['--startup-speed', '10000', '--gpus', '4xH200-141GB'] }).engineCommand;
    const old = sim('0.9.0');
    assert.ok(inOrder(old, ['simulate', '--engine-version', '0.9.0', '--startup-speed', '10000', '--', 'vllm', 'serve', 'deepseek-ai/DeepSeek-V4-Flash']), old.join(' '));
    const refused = spawnSync(old[0], old.slice(1), { encoding: 'utf8', timeout: 20_000 });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /DeepSeek-V4-Flash needs vLLM >= 0\.20\.0/);
    const current = sim('0.25.0');
    const started = spawnSync(current[0], current.slice(1), { encoding: 'utf8', timeout: 20_000 });
    assert.match(started.stdout, /vLLM API server version 0\.25\.0/);
    // An explicit --engine-version among the simulator options wins over the profile's (one flag, never two).
    const explicit = renderLaunch(ProfileSchema.parse({ name: 's', engine: { kind: 'simulator', version: '0.9.0' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, runtime: { kind: 'process' } }), { simulatorOptions: ['--engine-version', '0.10.0'] }).engineCommand;
    assert.equal(explicit.filter((w) => w === '--engine-version').length, 1);
    assert.ok(inOrder(explicit, ['simulate', '--engine-version', '0.10.0', '--']));
  } finally {
    taken.close();
  }
});
