import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CHART, clusterEnv, must, portForward, run, waitFor } from './helpers/kubeCluster';

// Multi-node serving without LeaderWorkerSet, on the tier's real one-node cluster (no cluster DNS): the chart's
// StatefulSet of 2 ranks running our simulator image as SGLang, the leader's pod IP handed over through the chart's
// ConfigMap (multiNode.leaderDiscovery=configMap), the API reached through the Service in front of rank 0.
const NS = 'dsd-sts';
const REL = 'r1-sts';
// `$(HOME)` and `$$` must reach the engine literally (Kubernetes would expand them in args if the chart did not escape)
const SERVED = 'r1-$(HOME)-$$';

let env: NodeJS.ProcessEnv;
let dir: string;

before(async () => {
  env = await clusterEnv();
  dir = mkdtempSync(path.join(tmpdir(), 'dsd-sts-'));
  await run('kubectl', ['create', 'namespace', NS], { env });
  // 2 ranks × 4 GPUs: the node advertises 8 (another test may have changed it)
  const gpus = await run('bash', [path.resolve(__dirname, '../../../test/infra/k8s-node-gpus.sh'), '8'], { env });
  assert.equal(gpus.code, 0, gpus.stderr);
});

after(async () => {
  if (env) {
    await run('helm', ['uninstall', REL, '-n', NS], { env });
    // the tier's leftover check looks for simulator processes: wait until the pods are really gone
    await run('kubectl', ['wait', '--for=delete', 'pod', '-n', NS, '-l', `app.kubernetes.io/instance=${REL}`, '--timeout=90s'], { env, timeoutMs: 100_000 });
    await run('kubectl', ['delete', 'namespace', NS, '--ignore-not-found', '--wait=false'], { env });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PodStatus { readonly status: { readonly podIP?: string; readonly phase?: string } }
const podJson = async (name: string): Promise<PodStatus | undefined> => {
  const r = await run('kubectl', ['get', 'pod', name, '-n', NS, '-o', 'json'], { env });
  return r.code === 0 ? (JSON.parse(r.stdout) as PodStatus) : undefined;
};

/** argv and environment of the container's main process (PID 1: the wrapper exec'd the engine), read inside the pod. */
async function engineProcess(pod: string): Promise<{ argv: string[]; env: Map<string, string> }> {
  const argv = (await must(env, 'kubectl', ['exec', '-n', NS, pod, '--', 'cat', '/proc/1/cmdline'])).split('\0').filter((w) => w !== '');
  const environ = (await must(env, 'kubectl', ['exec', '-n', NS, pod, '--', 'cat', '/proc/1/environ'])).split('\0');
  return { argv, env: new Map(environ.filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
}

const flag = (argv: readonly string[], name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

test('a 2-rank StatefulSet from the chart: each pod starts with its own node rank, the ranks meet at rank 0, and rank 0 serves through its Service', { timeout: 300_000 }, async () => {
  const values = {
    workload: 'statefulset',
    nodes: 2,
    launch: { id: 'k8s-tier-sts', profile: 'r1-sglang-2x4', engine: 'sglang' },
    image: { name: env.DSD_K8S_IMAGE_SGLANG ?? 'lmsysorg/sglang:latest', pullPolicy: 'Never' },
    engine: {
      command: ['python3', '-m', 'sglang.launch_server'],
      args: ['--model-path', 'deepseek-ai/DeepSeek-R1', '--tp', '8', '--trust-remote-code', '--served-model-name', SERVED,
        '--dist-init-addr', '{{DSD_LEADER_ADDR}}:5000', '--nnodes', '2', '--node-rank', '{{DSD_NODE_RANK}}',
        '--host', '0.0.0.0', '--port', '30000'],
      port: 30000,
      // 4 GPUs per node as the simulator sees them; start-up 60× faster than the real engine's
      env: { DSD_SIM_OPTS: '--startup-speed 60 --gpus 4xH200-141GB' },
    },
    multiNode: { leaderDiscovery: 'configMap', workerProbes: true },
    gpu: { resourceName: 'nvidia.com/gpu', count: 4 },
    shm: { enabled: true, sizeLimit: '256Mi' },
    probes: {
      enabled: true,
      path: '/health',
      startup: { periodSeconds: 1, failureThreshold: 120, timeoutSeconds: 2 },
      readiness: { periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 2 },
      liveness: { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    },
    service: { enabled: true, port: 30000 },
    terminationGracePeriodSeconds: 5,
  };
  const valuesFile = path.join(dir, 'values.json');
  writeFileSync(valuesFile, JSON.stringify(values));
  await must(env, 'helm', ['install', REL, CHART, '-n', NS, '-f', valuesFile]);

  // No cluster DNS here: the product's part of configMap discovery, done by hand — rank 0's pod IP into the ConfigMap.
  const leaderIp = await waitFor('rank 0 to get a pod IP', 60_000, async () => (await podJson(`${REL}-0`))?.status.podIP || undefined);
  await must(env, 'kubectl', ['patch', 'configmap', `${REL}-leader`, '-n', NS, '--type', 'merge', '-p', JSON.stringify({ data: { address: leaderIp } })]);
  const ready = await run('kubectl', ['wait', '--for=condition=Ready', 'pod', '-n', NS, '-l', `app.kubernetes.io/instance=${REL}`, '--timeout=180s'], { env, timeoutMs: 190_000 });
  if (ready.code !== 0) {
    const diag = await run('kubectl', ['describe', 'pods', '-n', NS], { env });
    const logs = await run('kubectl', ['logs', '-n', NS, '-l', `app.kubernetes.io/instance=${REL}`, '--tail=20'], { env });
    assert.fail(`ranks not Ready: ${ready.stderr}\n${diag.stdout.slice(-3000)}\n${logs.stdout}`);
  }

  // From inside each pod: the engine's own argv and environment carry that pod's rank and the leader's address.
  for (const rank of [0, 1]) {
    const p = await engineProcess(`${REL}-${rank}`);
    assert.equal(flag(p.argv, '--node-rank'), String(rank), `pod ${REL}-${rank}: ${p.argv.join(' ')}`);
    assert.equal(flag(p.argv, '--dist-init-addr'), `${leaderIp}:5000`);
    assert.equal(flag(p.argv, '--nnodes'), '2');
    assert.equal(flag(p.argv, '--served-model-name'), SERVED, 'words reach the engine literally');
    assert.equal(p.env.get('DSD_NODE_RANK'), String(rank));
    assert.equal(p.env.get('DSD_LEADER_ADDR'), leaderIp);
  }
  // The simulator's own report: rank 1 joined the head at rank 0's address, and the head counted it.
  const log1 = await must(env, 'kubectl', ['logs', '-n', NS, `${REL}-1`]);
  assert.match(log1, new RegExp(`node rank 1 on ${REL}-1: joined the head at ${leaderIp.replace(/\./g, '\\.')}:5000`));
  const log0 = await must(env, 'kubectl', ['logs', '-n', NS, `${REL}-0`]);
  assert.match(log0, /node rank 1 joined the rendezvous \(2\/2 nodes\)/);

  // The Service selects rank 0 only, and the API answers through a port-forward to it.
  const endpoints = JSON.parse(await must(env, 'kubectl', ['get', 'endpoints', `${REL}-svc`, '-n', NS, '-o', 'json'])) as { subsets?: Array<{ addresses?: Array<{ ip: string }> }> };
  assert.deepEqual((endpoints.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)), [leaderIp]);
  const pf = await portForward(env, NS, `svc/${REL}-svc`, 30000);
  try {
    const base = `http://127.0.0.1:${pf.port}`;
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(models.data.map((m) => m.id), [SERVED]);
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: SERVED, messages: [{ role: 'user', content: 'How many r are in strawberry?' }], max_tokens: 16 }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string | null } }>; usage: { completion_tokens: number } };
    assert.ok(body.usage.completion_tokens > 0 && body.choices.length === 1);
  } finally {
    await pf.close();
  }
  // Rank 1 serves no API, only SGLang's health check (which its probes passed): the API is rank 0's.
  const pf1 = await portForward(env, NS, `pod/${REL}-1`, 30000);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${pf1.port}/health`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${pf1.port}/v1/models`)).status, 404);
  } finally {
    await pf1.close();
  }
});
