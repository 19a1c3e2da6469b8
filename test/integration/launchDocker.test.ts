import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { Deployment, DeploymentError, type DeploymentState } from '../../src/core/launch/deployment';
import { sshRunner } from '../../src/core/launch/runners';
import type { LogEvent } from '../../src/core/engines/logWatch';

// Launch → progress → ready → chat through the SSH tunnel → stop, really in containers on the test dockerd (images
// built from the simulator by docker-up.sh, tagged like the real engine images), over the real test sshd.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const DOCKER_HOST = `unix://${INFRA}/docker/docker.sock`;
const TOKEN = `hf_dsdTestSecret${Date.now()}`;
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
after(() => remote.dispose());
const target: SshTarget = { id: 'dsd-gpu', host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST } });

/** Reads every process's argv and environment on this machine (root sees them all) looking for the secret. */
function tokenInAnyProcess(secret = TOKEN): string | undefined {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    for (const f of ['cmdline', 'environ']) {
      try {
        if (fs.readFileSync(`/proc/${pid}/${f}`, 'latin1').includes(secret)) return `/proc/${pid}/${f}`;
      } catch {
        /* gone, or a kernel thread */
      }
    }
  }
  return undefined;
}

async function launch(profile: ProfileInput, token?: string, apiKey?: string): Promise<{ dep: Deployment; url: string; events: LogEvent[]; states: DeploymentState[]; leaks: string[] }> {
  const plan = renderLaunch(ProfileSchema.parse(profile), { hfToken: token, apiKey });
  const events: LogEvent[] = [];
  const states: DeploymentState[] = [];
  const dep = new Deployment(plan, sshRunner(remote.pool, target), { onEvent: (e) => events.push(e), onState: (s) => states.push(s) });
  const leaks: string[] = [];
  const sampler = setInterval(() => {
    const hit = tokenInAnyProcess() ?? (apiKey ? tokenInAnyProcess(apiKey) : undefined);
    if (hit) leaks.push(hit);
  }, 25);
  try {
    const url = await dep.start({ reach: async (port) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target, '127.0.0.1', port)).localPort}`, apiKey, timeoutMs: 120_000 });
    return { dep, url, events, states, leaks };
  } finally {
    clearInterval(sampler);
  }
}

const base = (name: string, port: number, engine: ProfileInput['engine'], extra: Partial<ProfileInput> = {}): ProfileInput => ({
  name, host: 'dsd-gpu', engine, model: { id: 'deepseek-ai/DeepSeek-R1' }, parallel: { tp: 8, dpAttention: engine.kind === 'sglang' },
  knobs: { port }, env: { DSD_SIM_OPTS: '--startup-speed 60' }, runtime: { kind: 'docker', network: 'host' }, ...extra,
});

async function chat(url: string): Promise<string> {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 60 }) });
  assert.equal(r.status, 200);
  const j = (await r.json()) as { choices: Array<{ message: { content: string; reasoning_content?: string; reasoning?: string } }> };
  return j.choices[0].message.reasoning ?? j.choices[0].message.reasoning_content ?? j.choices[0].message.content;
}

test('docker · vLLM image: progress → ready → chat through the tunnel → stop; the HF token never leaks', async () => {
  const { dep, url, events, states, leaks } = await launch(base('it-vllm', 18621, { kind: 'vllm', version: '0.9.0' }), TOKEN);
  assert.ok(events.some((e) => e.kind === 'progress' && e.phase === 'weights' && e.percent === 100), 'shard loading progress seen');
  assert.ok(states.includes('listening') && states.at(-1) === 'ready', states.join(' → '));
  assert.ok((await chat(url)).length > 0);
  const name = 'dsd-it-vllm';
  assert.equal(docker('inspect', '-f', '{{.State.Running}}', name).trim(), 'true');
  assert.ok(!docker('inspect', name).includes(TOKEN), 'token not in docker inspect');
  assert.match(docker('inspect', '-f', '{{json .HostConfig.DeviceRequests}}', name), /"Capabilities":\[\["gpu"\]\]/);
  const tokenFile = '/home/dsd-gpu/.cache/huggingface/token';
  assert.equal(fs.readFileSync(tokenFile, 'utf8'), TOKEN);
  assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
  assert.deepEqual(leaks, [], 'token in a process argv/environment');
  assert.ok(!dep.log.some((l) => l.includes(TOKEN)));
  await dep.stop();
  assert.equal(docker('ps', '-a', '-q', '--filter', `name=^${name}$`).trim(), '', 'container removed');
});

test('docker · vLLM image with an API key: 401 without it, 200 with it; the key is in no docker inspect, argv, log or container config (read inside from a 0600 file)', async () => {
  const KEY = `sk-dsd-docker-${Date.now()}`;
  const { dep, url, leaks } = await launch(base('it-vllm-key', 18627, { kind: 'vllm', version: '0.9.0' }), undefined, KEY);
  try {
    assert.equal((await fetch(`${url}/v1/models`)).status, 401, 'no key → 401');
    assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
    const inspect = docker('inspect', 'dsd-it-vllm-key');
    assert.ok(!inspect.includes(KEY), 'key not in docker inspect');
    assert.ok(!docker('inspect', '-f', '{{json .Config.Env}}', 'dsd-it-vllm-key').includes('VLLM_API_KEY'), 'no VLLM_API_KEY in the container configuration');
    const file = '/home/dsd-gpu/.cache/huggingface/deepseek-deploy/it-vllm-key.api-key';
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the key file is 0600');
    assert.deepEqual(leaks.filter((l) => l.endsWith('cmdline')), [], 'key in a process argv');
    // Only the engine's own environment holds it (readable by its owner alone, as for a process launch).
    const cmdlineOf = (l: string): string[] => {
      try {
        return [fs.readFileSync(l.replace('environ', 'cmdline'), 'latin1')];
      } catch {
        return []; // exited since
      }
    };
    const envHolders = leaks.filter((l) => l.endsWith('environ')).flatMap(cmdlineOf);
    assert.ok(envHolders.every((c) => /simulate/.test(c)), `key in the environment of ${envHolders.join(' | ')}`);
    assert.ok(!dep.log.some((l) => l.includes(KEY)), 'key in the engine log');
  } finally {
    await dep.stop();
  }
});

/** Host PIDs of every process in the container(s) labelled with this profile (`docker top`: PID column). */
function containerPids(profile: string): string[] {
  const ids = docker('ps', '-q', '--filter', `label=deepseek-deploy.profile=${profile}`).trim().split('\n').filter(Boolean);
  return ids.flatMap((id) => docker('top', id, '-eo', 'pid').trim().split('\n').slice(1).map((l) => l.trim()));
}

/** Which of /proc/PID/{cmdline,environ} of the container's processes hold `secret` now, as "PID/file (argv)". */
function keyInContainerProcesses(profile: string, secret: string): { cmdline: string[]; environ: string[]; pids: number } {
  const pids = containerPids(profile);
  const hits = { cmdline: [] as string[], environ: [] as string[], pids: pids.length };
  for (const pid of pids) {
    for (const f of ['cmdline', 'environ'] as const) {
      try {
        if (fs.readFileSync(`/proc/${pid}/${f}`, 'latin1').includes(secret)) hits[f].push(`${pid}/${f} (${fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')})`);
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return hits;
}

// Issue 3/8 kind 4 (security knobs work) on compose: the key is written to a 0600 file by secret stdin and read inside
// the container (vLLM: the docker-run wrapper exports VLLM_API_KEY in the engine process only; SGLang: --config FILE),
// so it is in no compose file, no environment of `docker compose`, no `docker inspect`, no argv anywhere.
for (const flavor of ['vllm', 'sglang'] as const) {
  test(`compose · ${flavor} with an API key: 401 without it, 200 with it; the key is in no compose file, docker inspect, argv, or environment but the engine's own`, async () => {
    const KEY = `sk-dsd-compose-${flavor}-${Date.now()}`;
    const name = `it-compose-key-${flavor}`;
    const port = flavor === 'vllm' ? 18629 : 18630;
    const engine: ProfileInput['engine'] = flavor === 'vllm' ? { kind: 'vllm', version: '0.9.0' } : { kind: 'sglang' };
    const { dep, url, leaks } = await launch(base(name, port, engine, { knobs: { port }, runtime: { kind: 'compose' } }), undefined, KEY);
    const samples: Array<ReturnType<typeof keyInContainerProcesses>> = [];
    const sampler = setInterval(() => samples.push(keyInContainerProcesses(name, KEY)), 100);
    try {
      samples.push(keyInContainerProcesses(name, KEY));
      assert.equal((await fetch(`${url}/v1/models`)).status, 401, 'no key → 401');
      assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'wrong key → 401');
      assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status, 200, 'the key → 200');
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }) });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
      samples.push(keyInContainerProcesses(name, KEY));
      const id = docker('ps', '-q', '--filter', `label=deepseek-deploy.profile=${name}`).trim();
      assert.match(id, /^[0-9a-f]+$/, 'one container');
      assert.ok(!docker('inspect', id).includes(KEY), 'key not in docker inspect');
      assert.ok(!docker('inspect', '-f', '{{json .Config.Env}}', id).includes('VLLM_API_KEY'), 'no VLLM_API_KEY in the container configuration');
      const composeFile = fs.readFileSync(`/home/dsd-gpu/.deepseek-deploy/compose/dsd-${name}.yaml`, 'utf8');
      assert.ok(!composeFile.includes(KEY), 'key not in the compose file');
      const svc = Object.values((parseYaml(composeFile) as { services: Record<string, { environment?: string[] }> }).services)[0];
      assert.ok(!(svc.environment ?? []).some((e) => e.startsWith('VLLM_API_KEY')), 'no VLLM_API_KEY in the service environment (compose would take it from its own)');
      const keyFile = `/home/dsd-gpu/.cache/huggingface/deepseek-deploy/${name}.api-key${flavor === 'sglang' ? '.yaml' : ''}`;
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the key file is 0600');
      assert.equal(fs.statSync(keyFile).uid, Number(execFileSync('id', ['-u', 'dsd-gpu'], { encoding: 'utf8' })), 'owned by the SSH user');
      if (flavor === 'sglang') assert.ok(docker('inspect', '-f', '{{json .Args}}', id).includes(`${name}.api-key.yaml`), 'SGLang reads --config FILE');
      else assert.equal(docker('inspect', '-f', '{{json .Config.Entrypoint}}', id).trim(), '["/bin/sh"]', 'vLLM starts through the key wrapper');
      // While starting, every host process was sampled (launch): no argv held it, and no environment but the engine's,
      // so not `docker compose`'s either.
      assert.deepEqual(leaks.filter((l) => l.endsWith('cmdline')), [], 'key in a host process argv');
      const envHolders = leaks.filter((l) => l.endsWith('environ')).flatMap((l) => {
        try {
          return [fs.readFileSync(l.replace('environ', 'cmdline'), 'latin1').replace(/\0/g, ' ')];
        } catch {
          return [`(exited) ${l}`];
        }
      });
      assert.ok(envHolders.every((c) => flavor === 'vllm' && /simulate .*-- vllm serve/.test(c)), `key in the environment of ${envHolders.join(' | ')}`);
    } finally {
      clearInterval(sampler);
      await dep.stop();
    }
    assert.ok(samples.length > 3 && samples.every((x) => x.pids > 0), `sampled the container's processes while it ran (${samples.length} samples)`);
    assert.deepEqual(samples.flatMap((x) => x.cmdline), [], 'key in the argv of a process in the container');
    // vLLM reads VLLM_API_KEY from its environment (the only mechanism besides argv): the engine process alone holds it
    // (/proc/PID/environ: owner and root only); SGLang's key is only in its 0600 config file.
    const environ = [...new Set(samples.flatMap((x) => x.environ).map((h) => h.replace(/^\d+\//, '')))];
    if (flavor === 'vllm') assert.ok(environ.length === 1 && /simulate .*-- vllm serve/.test(environ[0]), `key in the environment of: ${environ.join(' | ')}`);
    else assert.deepEqual(environ, [], 'key in the environment of a process in the container');
    assert.ok(!dep.log.some((l) => l.includes(KEY)), 'key in the engine log');
    assert.equal(docker('ps', '-a', '-q', '--filter', `label=deepseek-deploy.profile=${name}`).trim(), '', 'compose down removed the container');
  });
}

test('docker · SGLang image: ready only after "fired up", chat answers with reasoning_content, stop', async () => {
  const { dep, url, states } = await launch(base('it-sglang', 18622, { kind: 'sglang' }, { knobs: { port: 18622 } }));
  assert.equal(states.at(-1), 'ready');
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 40 }) });
  const j = (await r.json()) as { choices: Array<{ message: Record<string, unknown> }> };
  assert.ok('reasoning_content' in j.choices[0].message);
  await dep.stop();
});

test('compose with the SGLang image: up → ready → down', async () => {
  const { dep, url } = await launch(base('it-compose-sg', 18628, { kind: 'sglang' }, { knobs: { port: 18628 }, runtime: { kind: 'compose' } }));
  assert.equal((await fetch(`${url}/v1/models`)).status, 200);
  await dep.stop();
  assert.equal(docker('ps', '-a', '-q', '--filter', 'label=deepseek-deploy.profile=it-compose-sg').trim(), '');
});

test('compose (v1 through the v2 CLI-plugin shim: compose v2 is not packaged here): up → ready → down', async () => {
  const { dep, url } = await launch(base('it-compose', 18623, { kind: 'vllm', version: '0.9.0' }, { runtime: { kind: 'compose', directory: '~/.deepseek-deploy/compose' } }));
  assert.ok((await chat(url)).length > 0);
  const composeFile = fs.readFileSync('/home/dsd-gpu/.deepseek-deploy/compose/dsd-it-compose.yaml', 'utf8');
  assert.match(composeFile, /image: vllm\/vllm-openai:v0\.9\.0/);
  await dep.stop();
  assert.equal(docker('ps', '-a', '-q', '--filter', 'label=deepseek-deploy.profile=it-compose').trim(), '');
});

test('an OOM start-up is diagnosed with its remedy (R1 FP8 on 8×H100), and the container is cleaned up on stop', async () => {
  await assert.rejects(launch(base('it-oom', 18624, { kind: 'vllm', version: '0.9.0' }, { env: { DSD_SIM_OPTS: '--startup-speed 60 --gpus 8xH100-80GB' } })), (e: unknown) => {
    assert.ok(e instanceof DeploymentError, String(e));
    assert.match(e.message, /CUDA out of memory/);
    assert.match(e.remedy ?? '', /smaller quantisation|more GPUs/);
    return true;
  });
  docker('rm', '-f', 'dsd-it-oom');
});

test('KV cache too small → the suggested --max-model-len from the engine\'s own error', async () => {
  await assert.rejects(launch(base('it-kv', 18625, { kind: 'vllm', version: '0.9.0' }, { knobs: { port: 18625, gpuMemoryUtilization: 0.62 } })), (e: unknown) => {
    assert.ok(e instanceof DeploymentError, String(e));
    assert.ok(e.suggestedMaxModelLen && e.suggestedMaxModelLen > 1000 && e.suggestedMaxModelLen < 163840, String(e.suggestedMaxModelLen));
    return true;
  });
  docker('rm', '-f', 'dsd-it-kv');
});

test('a missing image is reported with a remedy, not a hang', async () => {
  await assert.rejects(launch(base('it-noimage', 18626, { kind: 'vllm', image: 'vllm/vllm-openai:v9.9.9-does-not-exist' })), (e: unknown) => {
    assert.ok(e instanceof DeploymentError, String(e));
    assert.match(e.remedy ?? '', /image/);
    return true;
  });
});

test('the log follow resumes after the SSH connection is killed mid-load, without losing or repeating a line', async () => {
  let killed = false;
  const plan = renderLaunch(ProfileSchema.parse(base('it-resume', 18627, { kind: 'vllm', version: '0.9.0' }, { env: { DSD_SIM_OPTS: '--startup-speed 15' } })));
  const dep = new Deployment(plan, sshRunner(remote.pool, target), {
    onEvent: (e) => {
      if (!killed && e.kind === 'progress' && e.phase === 'weights' && e.percent >= 30) {
        killed = true;
        // The server side of every SSH session of the test user dies, as when a link drops.
        execFileSync('pkill', ['-KILL', '-f', 'sshd: dsd-gpu']);
      }
    },
  });
  try {
    await dep.start({ reach: async (port) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target, '127.0.0.1', port)).localPort}`, timeoutMs: 120_000 });
    assert.ok(killed, 'the connection was killed during loading');
    const full = execFileSync('sh', ['-c', 'docker logs dsd-it-resume 2>&1'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST } }).split(/\r\n|\r|\n/).filter((l) => l.length > 0);
    const seen = dep.log;
    assert.ok(seen.length > 100);
    assert.deepEqual(seen, full.slice(0, seen.length), 'the followed log equals the container log line for line');
    assert.match(seen.at(-1)!, /Application startup complete/);
  } finally {
    await dep.stop();
  }
});
