import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch, type RenderOptions } from '../../src/core/runtimes/launchPlan';
import { Deployment } from '../../src/core/launch/deployment';
import { sshRunner } from '../../src/core/launch/runners';
import { freePort } from '../helpers/stubHost';

// Issue 3/8, kinds 1, 2 and 4 against the real test sshd, SLURM and dockerd (the representative subset of the
// corpus): payloads that a naive renderer runs (checked first, here, with bash) go into a served model name and an
// environment value; the engine (our simulator) must report them byte for byte, the canary must not appear on the
// host, and on SLURM the API key must be enforced and absent from the job script SLURM stores.

const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const DIST = path.resolve(__dirname, '../../../dist');
const KEY = `sk-real-${Date.now()}-Secret`;
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
after(() => remote.dispose());
const targetOf = (user: string): SshTarget => ({ id: user, host: '127.0.0.1', port: PORT, user, identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' });
// The 2-node test cluster (its user dsd-multi), used here with one node: the single-node cluster is the integration
// tier's, whose jobs may still hold its GPUs.
const slurm = (...args: string[]): string => execFileSync(args[0], args.slice(1), { encoding: 'utf8', env: { ...process.env, SLURM_CONF: path.join(INFRA, 'slurm-multi', 'slurm.conf') } });

const canary = `/tmp/dsd-real-canary-${process.pid}`;
const SERVED = `m$(touch ${canary})\`touch ${canary}\`$SLURM_JOB_ID~`;
const ENV_VALUE = `v;touch ${canary};$HOME`;

function assertLive(payload: string): void {
  spawnSync('bash', ['-c', `: ${payload}`]);
  assert.ok(fs.existsSync(canary), `payload is live through a naive renderer: ${payload}`);
  fs.rmSync(canary);
}

async function launch(profile: ProfileInput, o: RenderOptions, apiKey?: string): Promise<{ dep: Deployment; url: string }> {
  const target = targetOf(profile.host!);
  const plan = renderLaunch(ProfileSchema.parse(profile), o);
  const dep = new Deployment(plan, sshRunner(remote.pool, target));
  try {
    const url = await dep.start({ reach: async (port, host) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target, host, port)).localPort}`, timeoutMs: 120_000, apiKey });
    return { dep, url };
  } catch (e) {
    await dep.stop(); // a job still queued, a container half started: never left behind
    throw e;
  }
}

test('kinds 1+2+4 on real SLURM over sshd: literal served name and env, no canary, key enforced and not in the stored job script', async () => {
  assertLive(SERVED);
  assertLive(ENV_VALUE);
  const simulatorFiles = ['cli.js', 'simulator.js'].map((name) => ({ name, content: fs.readFileSync(path.join(DIST, name), 'utf8') }));
  const { dep, url } = await launch({
    name: 'hostile-sl', host: 'dsd-multi', engine: { kind: 'simulator', imitates: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1', servedModelName: SERVED },
    parallel: { tp: 8 }, knobs: { port: await freePort(), apiKeySecret: 'K' }, env: { DSD_HOSTILE: ENV_VALUE }, runtime: { kind: 'slurm', gpusPerNode: 1 },
  }, { simulatorFiles, simulatorOptions: ['--startup-speed', '60'], apiKey: KEY }, KEY);
  try {
    assert.equal((await fetch(`${url}/v1/models`)).status, 401, 'no key → 401');
    const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { data: Array<{ id: string }> };
    assert.equal(models.data[0].id, SERVED, 'the served name arrived byte for byte');
    assert.ok(!fs.existsSync(canary), 'no payload ran on the host');
    const id = fs.readFileSync('/home/dsd-multi/.deepseek-deploy/slurm/job-id-hostile-sl', 'utf8').trim().split(';')[0];
    const stored = slurm('scontrol', 'write', 'batch_script', id, '-');
    assert.ok(!stored.includes(KEY), 'the key is not in the job script SLURM stores');
    assert.ok(stored.includes(`export DSD_HOSTILE='v;touch ${canary};$HOME'`), 'the env value is single-quoted in the job script');
    const keyFile = '/home/dsd-multi/.deepseek-deploy/slurm/hostile-sl.api-key.yaml';
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  } finally {
    await dep.stop();
    fs.rmSync(canary, { force: true });
  }
});

test('kinds 1+2 on real dockerd over sshd: literal served name and env in the container, no canary on the host', async () => {
  const DOCKER_HOST = `unix://${INFRA}/docker/docker.sock`;
  const { dep, url } = await launch({
    name: 'hostile-dk', host: 'dsd-gpu', engine: { kind: 'vllm', version: '0.9.0' }, model: { id: 'deepseek-ai/DeepSeek-R1', servedModelName: SERVED },
    parallel: { tp: 8 }, knobs: { port: await freePort() }, env: { DSD_SIM_OPTS: '--startup-speed 60', DSD_HOSTILE: ENV_VALUE }, runtime: { kind: 'docker', network: 'host' },
  }, {});
  try {
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.equal(models.data[0].id, SERVED);
    const env = execFileSync('docker', ['inspect', '-f', '{{json .Config.Env}}', 'dsd-hostile-dk'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST } });
    assert.ok((JSON.parse(env) as string[]).includes(`DSD_HOSTILE=${ENV_VALUE}`), env);
    assert.ok(!fs.existsSync(canary), 'no payload ran on the host');
  } finally {
    await dep.stop();
    fs.rmSync(canary, { force: true });
  }
});
