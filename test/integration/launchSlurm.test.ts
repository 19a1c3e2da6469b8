import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { Deployment, DeploymentError, type DeploymentState } from '../../src/core/launch/deployment';
import { sshRunner } from '../../src/core/launch/runners';

// Really as SLURM jobs on the test clusters (slurm-up.sh), submitted over the real test sshd. The engine is our
// simulator, installed on the host by the launch itself (no GPU); on the 2-node cluster its ranks run on both nodes.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const DIST = path.resolve(__dirname, '../../../dist');
const TOKEN = `hf_slurmSecret${Date.now()}`;
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
after(() => remote.dispose());
const target = (user: string): SshTarget => ({ id: user, host: '127.0.0.1', port: PORT, user, identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' });
const simulatorFiles = ['cli.js', 'simulator.js'].map((name) => ({ name, content: fs.readFileSync(path.join(DIST, name), 'utf8') }));
const slurm = (conf: string, ...args: string[]): string => execFileSync(args[0], args.slice(1), { encoding: 'utf8', env: { ...process.env, SLURM_CONF: path.join(INFRA, conf, 'slurm.conf') } });

async function launch(user: string, profile: ProfileInput, token?: string): Promise<{ dep: Deployment; url: string; states: Array<[DeploymentState, string | undefined]> }> {
  const plan = renderLaunch(ProfileSchema.parse(profile), { hfToken: token, simulatorFiles, simulatorOptions: ['--startup-speed', '60'] });
  const states: Array<[DeploymentState, string | undefined]> = [];
  const dep = new Deployment(plan, sshRunner(remote.pool, target(user)), { onState: (s, d) => states.push([s, d]) });
  let url: string;
  try {
    url = await dep.start({ reach: async (port, host) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target(user), host, port)).localPort}`, timeoutMs: 120_000 });
  } catch (e) {
    // As the pipeline does: a job that did not come up is cancelled, so it holds no GPUs for the tests after it.
    await dep.stop().catch(() => undefined);
    throw e;
  }
  return { dep, url, states };
}

const jobId = (user: string, name: string): string => fs.readFileSync(`/home/${user}/.deepseek-deploy/slurm/job-id-${name}`, 'utf8').trim().split(';')[0];

test('SLURM, one node: sbatch → RUNNING job → ready → chat through the tunnel → scancel; no token in the stored job', async () => {
  const { dep, url } = await launch('dsd-gpu', {
    name: 'sl-one', host: 'dsd-gpu', engine: { kind: 'simulator', imitates: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1' },
    parallel: { tp: 8 }, knobs: { port: 18651 }, runtime: { kind: 'slurm', gpusPerNode: 8 },
  }, TOKEN);
  const id = jobId('dsd-gpu', 'sl-one');
  assert.match(slurm('slurm', 'squeue', '-h', '-j', id, '-o', '%T|%j|%b'), /^RUNNING\|dsd-sl-one\|gres:gpu:8/);
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }) });
  assert.equal(r.status, 200);
  const script = slurm('slurm', 'scontrol', 'write', 'batch_script', id, '-');
  assert.match(script, /#SBATCH --gres=gpu:8/);
  assert.ok(!script.includes(TOKEN), 'token not in the stored job script');
  const stateDir = path.join(INFRA, 'slurm/state');
  const envFiles = fs.readdirSync(stateDir, { recursive: true }).map(String).filter((f) => f.endsWith('environment'));
  for (const f of envFiles) assert.ok(!fs.readFileSync(path.join(stateDir, f), 'latin1').includes(TOKEN), `token in ${f}`);
  assert.equal(fs.readFileSync('/home/dsd-gpu/.cache/huggingface/token', 'utf8'), TOKEN);
  await dep.stop();
  for (let i = 0; i < 40 && /RUNNING|COMPLETING/.test(slurm('slurm', 'squeue', '-h', '-t', 'all', '-j', id, '-o', '%T')); i++) await new Promise((res) => setTimeout(res, 250));
  assert.match(slurm('slurm', 'squeue', '-h', '-t', 'all', '-j', id, '-o', '%T'), /CANCELLED/);
});

test('SLURM, two nodes: the ranks start on node1 and node2 (SLURMD_NODENAME), rank 0 serves; ready → chat → scancel', async () => {
  const { dep, url } = await launch('dsd-multi', {
    name: 'sl-two', host: 'dsd-multi', engine: { kind: 'simulator', imitates: 'sglang' }, model: { id: 'deepseek-ai/DeepSeek-R1' },
    parallel: { tp: 16, nodes: 2 }, knobs: { port: 18652 }, runtime: { kind: 'slurm', gpusPerNode: 8, multiNode: 'native' },
  });
  const id = jobId('dsd-multi', 'sl-two');
  assert.match(slurm('slurm-multi', 'squeue', '-h', '-j', id, '-o', '%T|%N'), /^RUNNING\|node\[1-2\]/);
  const out = fs.readFileSync(`/home/dsd-multi/.deepseek-deploy/slurm/sl-two.${id}.out`, 'utf8');
  assert.match(out, /deepseek-deploy: rank 0 on node1/);
  assert.match(out, /deepseek-deploy: rank 1 on node2/);
  assert.match(out, /node rank 1 on node2: joined the head/);
  const r = await fetch(`${url}/v1/models`);
  assert.equal(((await r.json()) as { data: Array<{ owned_by: string }> }).data[0].owned_by, 'sglang');
  await dep.stop();
});

test('SLURM rejects an impossible request (gpu:9 per node): the error names SLURM\'s reason and a remedy', async () => {
  await assert.rejects(launch('dsd-gpu', {
    name: 'sl-bad', host: 'dsd-gpu', engine: { kind: 'simulator' }, model: { id: 'deepseek-ai/DeepSeek-R1' },
    parallel: { tp: 8 }, knobs: { port: 18653 }, runtime: { kind: 'slurm', gpusPerNode: 9 },
  }), (e: unknown) => {
    assert.ok(e instanceof DeploymentError, String(e));
    assert.match(e.message, /Requested node configuration is not available/);
    assert.match(e.remedy ?? '', /sinfo/);
    return true;
  });
});

test('process runtime: the simulator as a background process group on the host, with pidfile and log; stop leaves nothing running', async () => {
  const { dep, url } = await launch('dsd-gpu', {
    name: 'pr-one', host: 'dsd-gpu', engine: { kind: 'simulator', imitates: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1-0528' },
    parallel: { tp: 8, expertParallel: true }, knobs: { port: 18661 }, runtime: { kind: 'process' },
  });
  const pid = fs.readFileSync('/home/dsd-gpu/.deepseek-deploy/run/pr-one.pid', 'utf8').trim();
  assert.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '), /simulate .* -- vllm serve deepseek-ai\/DeepSeek-R1-0528 --trust-remote-code --tensor-parallel-size 8 --enable-expert-parallel/);
  assert.equal((await fetch(`${url}/v1/models`)).status, 200);
  // A second engine on the same port fails like vLLM does, and is diagnosed without waiting for a timeout.
  const t0 = Date.now();
  await assert.rejects(launch('dsd-gpu', {
    name: 'pr-two', host: 'dsd-gpu', engine: { kind: 'simulator', imitates: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1-0528' },
    parallel: { tp: 8 }, knobs: { port: 18661 }, runtime: { kind: 'process' },
  }), (e: unknown) => e instanceof DeploymentError && /port is already in use/.test(e.message) && /another --port/.test(e.remedy ?? ''));
  assert.ok(Date.now() - t0 < 30_000);
  await dep.stop();
  assert.ok(!fs.existsSync(`/proc/${pid}`), 'the engine process is gone');
});

test('SGLang dialect on the other runtimes: SLURM one node and a background process, launch → ready → stop', async () => {
  for (const [name, runtime, port] of [['sg-slurm', { kind: 'slurm', gpusPerNode: 8 }, 18671], ['sg-proc', { kind: 'process' }, 18672]] as const) {
    const { dep, url, states } = await launch('dsd-gpu', {
      name, host: 'dsd-gpu', engine: { kind: 'simulator', imitates: 'sglang' }, model: { id: 'deepseek-ai/DeepSeek-R1' },
      parallel: { tp: 8, dpAttention: true }, knobs: { port }, runtime,
    });
    assert.equal(states.at(-1)?.[0], 'ready', name);
    const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 30 }) });
    assert.ok('reasoning_content' in ((await r.json()) as { choices: Array<{ message: Record<string, unknown> }> }).choices[0].message, name);
    await dep.stop();
  }
});

test('SLURM pending: while another job holds the GPUs the launch shows "queued (Resources)", then starts when they free up', async () => {
  const blocker = slurm('slurm', 'runuser', '-u', 'dsd-gpu', '--', 'env', `SLURM_CONF=${path.join(INFRA, 'slurm/slurm.conf')}`, 'sbatch', '--parsable', '--gres=gpu:8', '--chdir=/tmp', '--output=/dev/null', '--wrap', 'sleep 300').trim().split(';')[0];
  for (let i = 0; i < 40 && !/RUNNING/.test(slurm('slurm', 'squeue', '-h', '-j', blocker, '-o', '%T')); i++) await new Promise((r) => setTimeout(r, 250));
  const states: Array<[DeploymentState, string | undefined]> = [];
  const plan = renderLaunch(ProfileSchema.parse({
    name: 'sl-wait', host: 'dsd-gpu', engine: { kind: 'simulator' }, model: { id: 'deepseek-ai/DeepSeek-R1' },
    parallel: { tp: 8 }, knobs: { port: 18681 }, runtime: { kind: 'slurm', gpusPerNode: 8 },
  }), { simulatorFiles, simulatorOptions: ['--startup-speed', '60'] });
  const safety = setTimeout(() => execFileSync('scancel', [blocker], { env: { ...process.env, SLURM_CONF: path.join(INFRA, 'slurm/slurm.conf') } }), 30_000);
  const dep = new Deployment(plan, sshRunner(remote.pool, target('dsd-gpu')), {
    onState: (s, d) => {
      states.push([s, d]);
      // Free the GPUs once the user has been told why the job waits (SLURM fills in the reason on its next pass).
      if (s === 'queued' && d) execFileSync('scancel', [blocker], { env: { ...process.env, SLURM_CONF: path.join(INFRA, 'slurm/slurm.conf') } });
    },
  });
  try {
    await dep.start({ reach: async (port, host) => `http://127.0.0.1:${(await remote.tunnels.openTunnel(target('dsd-gpu'), host, port)).localPort}`, timeoutMs: 120_000 });
    const queued = states.find(([s, d]) => s === 'queued' && d);
    assert.ok(queued, states.map((s) => s.join(':')).join(' → '));
    assert.match(queued[1] ?? '', /Resources|Priority/);
    assert.equal(states.at(-1)?.[0], 'ready');
  } finally {
    clearTimeout(safety);
    await dep.stop();
    execFileSync('scancel', [blocker], { env: { ...process.env, SLURM_CONF: path.join(INFRA, 'slurm/slurm.conf') } });
  }
});
