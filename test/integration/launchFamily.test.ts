import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { Deployment } from '../../src/core/launch/deployment';
import { sshRunner } from '../../src/core/launch/runners';
import { PRESETS } from '../../src/core/profiles/presets';

// A V4-Flash recipe preset launched for real as a SLURM job on the test cluster, over the real test sshd; the engine is
// our simulator (installed by the launch) running the preset's exact vLLM command line. The 2-node test cluster
// (user dsd-multi) is used so that the single-node cluster's queue does not delay it.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const DIST = path.resolve(__dirname, '../../../dist');
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
after(() => remote.dispose());
const target: SshTarget = { id: 'dsd-multi', host: '127.0.0.1', port: PORT, user: 'dsd-multi', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
const simulatorFiles = ['cli.js', 'simulator.js'].map((name) => ({ name, content: fs.readFileSync(path.join(DIST, name), 'utf8') }));

test('SLURM: the V4-Flash DP4+EP recipe preset reaches ready; thinking off answers in content, on in `reasoning`; a DSML tool call comes back as tool_calls', async () => {
  const preset = PRESETS.find((p) => p.id === 'v4flash-h200x4-vllm-dep')!;
  const profile: ProfileInput = { ...preset.profile, name: 'fam-v4flash', host: 'dsd-multi', engine: { kind: 'simulator', imitates: 'vllm', version: '0.20.0' }, knobs: { ...preset.profile.knobs, port: 18693 }, runtime: { kind: 'slurm', gpusPerNode: 4 } };
  const plan = renderLaunch(ProfileSchema.parse(profile), { simulatorFiles, simulatorOptions: ['--startup-speed', '60', '--gpus', '4xH200-141GB'] });
  // The profile's engine.version (0.20.0) reaches the simulator as --engine-version: it imitates that release.
  assert.ok(plan.engineCommand.includes('--engine-version') && plan.engineCommand.includes('0.20.0'));
  assert.ok(plan.engineCommand.includes('--tokenizer-mode') && plan.engineCommand.includes('--block-size'));
  const dep = new Deployment(plan, sshRunner(remote.pool, target), {});
  try {
    const url = await dep.start({ reach: async (port, host) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target, host, port)).localPort}`, timeoutMs: 180_000 });
    assert.ok(dep.log.some((l) => /vLLM API server version 0\.20\.0/.test(l)), 'imitates the profile\'s release');
    assert.ok(dep.log.some((l) => l.includes('Setting kv cache block size to 256 for DEEPSEEK_SPARSE_SWA backend.')), 'V4 KV start-up line');
    assert.ok(dep.log.some((l) => /Maximum concurrency for 1,048,576 tokens per request/.test(l)));
    const chat = async (body: Record<string, unknown>): Promise<{ message: Record<string, unknown>; finish_reason: string }> => {
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 400, ...body }) });
      assert.equal(r.status, 200);
      return ((await r.json()) as { choices: { message: Record<string, unknown>; finish_reason: string }[] }).choices[0];
    };
    const off = await chat({ chat_template_kwargs: { thinking: false } });
    assert.equal(off.message.reasoning, null);
    assert.match(String(off.message.content), /### Steps/);
    const on = await chat({ chat_template_kwargs: { thinking: true, reasoning_effort: 'high' } });
    assert.ok(String(on.message.reasoning).length > 20);
    const tool = await chat({ tools: [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } }], chat_template_kwargs: { thinking: false } });
    assert.equal(tool.finish_reason, 'tool_calls');
    assert.equal((tool.message.tool_calls as { function: { name: string } }[])[0].function.name, 'get_time');
  } finally {
    await dep.stop();
  }
});
