import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { Deployment, type DeploymentState } from '../../src/core/launch/deployment';
import { sshRunner } from '../../src/core/launch/runners';
import { PRESETS } from '../../src/core/profiles/presets';

// The V4-Flash DP4+EP recipe preset launched as-is (its docker runtime, image tag and vLLM command line) on the test
// dockerd over the real test sshd. The image vllm/vllm-openai:v0.20.0 is docker-up.sh's simulator image under the tag
// of the first vLLM release that serves V4; only the simulator's speed and GPU count are test-sized.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const DOCKER_HOST = `unix://${INFRA}/docker/docker.sock`;
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
after(() => remote.dispose());
const target: SshTarget = { id: 'dsd-gpu', host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST } });

test('docker: the V4-Flash DP4+EP recipe preset reaches ready in vllm/vllm-openai:v0.20.0; thinking off answers in content, high in `reasoning`', async () => {
  const preset = PRESETS.find((p) => p.id === 'v4flash-h200x4-vllm-dep')!;
  const profile: ProfileInput = { ...preset.profile, name: 'fam-v4flash-docker', host: 'dsd-gpu', knobs: { ...preset.profile.knobs, port: 18694 }, env: { ...preset.profile.env, DSD_SIM_OPTS: '--startup-speed 60 --gpus 4xH200-141GB' } };
  const plan = renderLaunch(ProfileSchema.parse(profile));
  const run = plan.start.at(-1)!.argv;
  assert.ok(run.includes('vllm/vllm-openai:v0.20.0'), `the preset's default image: ${run.join(' ')}`);
  const states: DeploymentState[] = [];
  const dep = new Deployment(plan, sshRunner(remote.pool, target), { onState: (s) => states.push(s) });
  try {
    const url = await dep.start({ reach: async (port) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target, '127.0.0.1', port)).localPort}`, timeoutMs: 180_000 });
    assert.equal(states.at(-1), 'ready', states.join(' → '));
    assert.equal(docker('inspect', '-f', '{{.State.Running}}', 'dsd-fam-v4flash-docker').trim(), 'true');
    assert.ok(dep.log.some((l) => /vLLM API server version 0\.20\.0/.test(l)), 'imitates the first V4 release');
    assert.ok(dep.log.some((l) => l.includes('Setting kv cache block size to 256 for DEEPSEEK_SPARSE_SWA backend.')), 'V4 KV start-up line');
    const chat = async (kwargs: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 400, chat_template_kwargs: kwargs }) });
      assert.equal(r.status, 200);
      return ((await r.json()) as { choices: { message: Record<string, unknown> }[] }).choices[0].message;
    };
    const off = await chat({ thinking: false });
    assert.equal(off.reasoning, null);
    assert.ok(String(off.content).length > 20, `answer in content: ${JSON.stringify(off)}`);
    const high = await chat({ thinking: true, reasoning_effort: 'high' });
    assert.ok(String(high.reasoning).length > 20, JSON.stringify(high));
  } finally {
    await dep.stop();
  }
  assert.equal(docker('ps', '-a', '-q', '--filter', 'name=^dsd-fam-v4flash-docker$').trim(), '', 'container removed');
});
