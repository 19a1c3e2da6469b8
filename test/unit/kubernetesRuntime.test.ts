import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { parseProfileYaml, ProfileError } from '../../src/core/profiles/profileYaml';
import { PRESETS } from '../../src/core/profiles/presets';
import { planToScript, renderLaunch } from '../../src/core/runtimes/launchPlan';
import { explainRelease, parseClusterNodes } from '../../src/core/runtimes/kubernetesState';
import { kubernetesValues, releaseName, type ChartValues, type KubernetesProfile } from '../../src/core/runtimes/kubernetesPlan';
import { gpuSpecFromCluster } from '../../src/core/launch/kubernetesPreflight';
import { startupDeadlineMs } from '../../src/core/plan/catalog';
import { checkProfileFit } from '../../src/core/plan/profileFit';
import { createStubHost } from '../helpers/stubHost';

const FIXTURES = path.resolve(__dirname, '../../../test/unit/fixtures');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, 'k8s', name), 'utf8');
type Over = Omit<Partial<ProfileInput>, 'runtime'> & { runtime?: Record<string, unknown> };
const k8s = (over: Over = {}): KubernetesProfile => ProfileSchema.parse({
  name: 'r1', engine: { kind: 'vllm', version: '0.9.0' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, ...over,
  runtime: { ...(over.runtime ?? {}), kind: 'kubernetes' },
}) as KubernetesProfile;

test('a kubernetes profile: defaults, and a bad field is named with its line', () => {
  const p = k8s();
  assert.equal(p.runtime.namespace, 'default');
  assert.equal(p.runtime.gpuResource, 'nvidia.com/gpu');
  assert.deepEqual(p.runtime.hfCache, { kind: 'emptyDir' });
  assert.equal(releaseName(p), 'dsd-r1');
  const yaml = ['name: r1', 'engine: {kind: vllm}', 'model: {id: deepseek-ai/DeepSeek-R1}', 'runtime:', '  kind: kubernetes', '  namespace: My_Namespace', '  tolerations:', '    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedul}', '  hfCache: {kind: pvc}', '  shmSize: 32 gigs'].join('\n');
  assert.throws(() => parseProfileYaml(yaml, 'k.deepseek.yaml'), (e: unknown) => {
    assert.ok(e instanceof ProfileError);
    const by = new Map(e.issues.map((i) => [i.field, i]));
    assert.equal(by.get('runtime.namespace')?.line, 6);
    assert.match(by.get('runtime.namespace')!.message, /a Kubernetes name \(lowercase letters, digits and "-"/);
    assert.equal(by.get('runtime.tolerations[0].effect')?.line, 8, [...by.keys()].join(', '));
    assert.ok(by.has('runtime.hfCache.claimName'), [...by.keys()].join(', '));
    assert.match(by.get('runtime.shmSize')!.message, /a Kubernetes quantity like 32Gi/);
    return true;
  });
  assert.throws(() => k8s({ runtime: { gpuResource: 'nvidia.com/gpu count' } }), /label key/);
  assert.throws(() => k8s({ runtime: { context: '--kubeconfig=/tmp/x' } }), /runtime\.context must not start with/);
});

test('seed 004 on GKE: the preset\'s values are the golden file; the recipe\'s image, TP 8, B200 node selector and GPU toleration', () => {
  const preset = PRESETS.find((p) => p.id === 'b200x8-vllm-gke-helm')!;
  assert.equal(preset.seed, '004');
  const plan = renderLaunch(ProfileSchema.parse(preset.profile), { hfToken: 'hf_x' });
  const golden = readFileSync(path.join(FIXTURES, 'presets', 'b200x8-vllm-gke-helm.values.yaml'), 'utf8');
  assert.equal(plan.values, golden);
  const v = parseYaml(plan.values) as ChartValues;
  assert.equal(v.workload, 'deployment');
  assert.equal(v.image.name, 'vllm/vllm-openai:v0.9.0');
  assert.deepEqual(v.engine.command, [], 'the vllm-openai image\'s own entrypoint runs the API server, as in the recipe');
  assert.deepEqual(v.engine.args.slice(0, 5), ['--model', 'deepseek-ai/DeepSeek-R1', '--trust-remote-code', '--tensor-parallel-size', '8']);
  assert.deepEqual(v.gpu, { resourceName: 'nvidia.com/gpu', count: 8 });
  assert.deepEqual(v.nodeSelector, { 'cloud.google.com/gke-accelerator': 'nvidia-b200' });
  assert.deepEqual(v.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.equal(v.hfToken.secretName, 'serving-deepseek-r1-model-hf-token');
  const helm = plan.start.find((s) => s.argv[0] === 'helm')!;
  assert.deepEqual(helm.argv.slice(-6), ['upgrade', '--install', 'serving-deepseek-r1-model', helm.argv.at(-3), '--values', '-']);
  assert.equal(helm.stdin, plan.values, 'the values travel on stdin, shown before helm runs');
});

test('probes allow the catalog\'s whole start-up deadline (V4.1\'s ≈ 46 min first boot is not killed)', () => {
  for (const id of ['deepseek-ai/DeepSeek-R1', 'deepseek-ai/DeepSeek-V4.1-Flash', 'my-org/unknown-model']) {
    const v = kubernetesValues(k8s({ model: { id } }));
    const allowed = v.probes.startup.periodSeconds * v.probes.startup.failureThreshold * 1000;
    assert.ok(allowed >= startupDeadlineMs(id) && allowed < startupDeadlineMs(id) + 10_000, `${id}: ${allowed} ms vs ${startupDeadlineMs(id)}`);
  }
  const v41 = kubernetesValues(k8s({ model: { id: 'deepseek-ai/DeepSeek-V4.1-Flash' } }));
  assert.ok(v41.probes.startup.periodSeconds * v41.probes.startup.failureThreshold >= 46 * 60);
});

test('workloads: Deployment for one node; LeaderWorkerSet when discovered, else StatefulSet; ranks from the chart\'s placeholders', () => {
  const sgl = k8s({ engine: { kind: 'sglang' }, parallel: { tp: 16, nodes: 2 } });
  const sts = kubernetesValues(sgl);
  assert.equal(sts.workload, 'statefulset');
  assert.equal(sts.nodes, 2);
  assert.deepEqual(sts.engine.command, ['python3', '-m', 'sglang.launch_server']);
  const a = sts.engine.args as string[];
  assert.equal(a[a.indexOf('--dist-init-addr') + 1], '{{DSD_LEADER_ADDR}}:5000');
  assert.equal(a[a.indexOf('--node-rank') + 1], '{{DSD_NODE_RANK}}');
  assert.equal(a[a.indexOf('--nnodes') + 1], '2');
  assert.equal(a[a.indexOf('--host') + 1], '0.0.0.0', 'the kubelet probes the pod IP');
  assert.equal(sts.gpu.count, 8, 'TP 16 over 2 nodes: 8 GPUs per pod');
  assert.equal(kubernetesValues(sgl, { leaderWorkerSet: true }).workload, 'leaderworkerset');
  assert.equal(kubernetesValues(k8s({ engine: { kind: 'sglang' }, parallel: { tp: 16, nodes: 2 }, runtime: { multiNode: 'statefulset' } }), { leaderWorkerSet: true }).workload, 'statefulset');
  const noDns = kubernetesValues(k8s({ engine: { kind: 'sglang' }, parallel: { tp: 16, nodes: 2 }, runtime: { leaderDiscovery: 'podIP' } }));
  assert.equal(noDns.multiNode.leaderDiscovery, 'configMap');
  const ray = kubernetesValues(k8s({ parallel: { tp: 16, nodes: 2 } }));
  assert.deepEqual(ray.multiNode.workerCommand, ['ray', 'start', '--address={{DSD_LEADER_ADDR}}:6379', '--block']);
  assert.ok((ray.engine.args as string[]).includes('--distributed-executor-backend'));
  const one = kubernetesValues(k8s({ runtime: { gpusPerPod: 0, imagePullSecret: 'regcred', priorityClassName: 'high', hfCache: { kind: 'pvc', claimName: 'hf' } } }));
  assert.equal(one.workload, 'deployment');
  assert.equal(one.gpu.count, 0);
  assert.deepEqual(one.imagePullSecrets, ['regcred']);
  assert.equal(one.priorityClassName, 'high');
  assert.deepEqual(one.hfCache, { type: 'pvc', claimName: 'hf' });
});

test('the HF token and API key: only on the Secret steps\' stdin; never in argv, values, the shown script or a label', () => {
  const token = 'hf_TopSecretToken_4242';
  const key = 'dsd-key-Secret-777';
  const plan = renderLaunch(k8s({ name: 'tok', runtime: { context: 'gke_proj_us-central1_c', namespace: 'llm' } }), { hfToken: token, apiKey: key });
  const everything = [plan.values!, planToScript(plan), ...plan.start.map((s) => s.argv.join(' ')), plan.logs(0).join(' '), plan.stop.map((s) => s.argv.join(' ')).join(' '), plan.jobState!.join(' '), plan.portForward!.join(' ')].join('\n');
  assert.ok(!everything.includes(token) && !everything.includes(key));
  const withStdin = plan.start.filter((s) => s.stdin === token || s.stdin === key);
  assert.deepEqual(withStdin.map((s) => [s.secretStdin, s.argv[0], s.argv.includes('kubectl')]), [[true, 'bash', true], [true, 'bash', true]]);
  assert.ok(withStdin.every((s) => s.argv.includes('--context') && s.argv.includes('gke_proj_us-central1_c') && s.argv.includes('llm')));
  const v = parseYaml(plan.values!) as { hfToken: { secretName: string }; apiKey: { secretName: string; envName: string } };
  assert.equal(v.hfToken.secretName, 'dsd-tok-hf-token');
  assert.deepEqual([v.apiKey.secretName, v.apiKey.envName], ['dsd-tok-api-key', 'VLLM_API_KEY']);
  assert.equal(spawnSync('bash', ['-n'], { input: planToScript(plan), encoding: 'utf8' }).status, 0);
  // SGLang cannot take a key without a command line: none is sent, and the plan says so.
  const sgl = renderLaunch(k8s({ name: 'sgl', engine: { kind: 'sglang' } }), { apiKey: key });
  assert.ok(!sgl.start.some((s) => s.stdin === key));
  assert.match(sgl.warnings.join(' '), /SGLang on Kubernetes runs without an API key/);
});

test('pod state from real `kubectl get pods/events -o json` shapes: Pending with the scheduler\'s reason, ImagePullBackOff with the pull error, CrashLoopBackOff with the last log lines', () => {
  const pending = explainRelease(fixture('pending-insufficient-gpu.txt'))!;
  assert.equal(pending.state.phase, 'pending');
  assert.equal(pending.reason, '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
  const pull = explainRelease(fixture('image-pull-backoff.txt'))!;
  assert.equal(pull.state.phase, 'ended');
  assert.equal(pull.state.name, 'ImagePullBackOff');
  assert.match(pull.reason!, /^Failed to pull image "k8s\.local\/no-such-image:1": .*no such host$/, 'the Failed event, not the back-off line');
  const crash = explainRelease(fixture('crashloop.txt'))!;
  assert.equal(crash.state.name, 'CrashLoopBackOff');
  assert.equal(crash.exitCode, 2);
  assert.match(crash.reason!, /container engine exit code 2 \(Error\), restarted 3×; last log lines:\n.*\nusage: vllm serve .*\nvllm serve: error: unrecognized arguments: --no-such-flag$/);
  assert.equal(explainRelease('@@pods\n{"apiVersion":"v1","items":[],"kind":"List"}\n')!.state.phase, 'pending');
  assert.equal(explainRelease('error: You must be logged in to the server (Unauthorized)\n'), undefined);
});

test('cluster nodes: allocatable GPUs and the GPU model from node labels feed the memory planner', () => {
  const nodes = parseClusterNodes('gke-a4-pool-1|8|NVIDIA-B200||True\ngke-cpu-1|||| True\nnode-x|8||nvidia-h200-141gb|False\n');
  assert.deepEqual(nodes.map((n) => [n.name, n.allocatableGpus, n.gpuProduct, n.ready]), [['gke-a4-pool-1', 8, 'NVIDIA-B200', true], ['gke-cpu-1', 0, undefined, false], ['node-x', 8, 'nvidia-h200-141gb', false]]);
  const spec = gpuSpecFromCluster({ leaderWorkerSet: false, nodes })!;
  assert.equal(spec.count, 8);
  assert.equal(spec.model.id, 'B200-180GB');
  assert.equal(gpuSpecFromCluster({ leaderWorkerSet: false, nodes: parseClusterNodes('a|8|NVIDIA-H20||True\n') })!.model.id, 'H20-96GB');
  assert.equal(gpuSpecFromCluster({ leaderWorkerSet: false, nodes: parseClusterNodes('a|4|NVIDIA-GB200||True\n') })!.model.id, 'GB200-186GB');
  assert.equal(gpuSpecFromCluster({ leaderWorkerSet: false, nodes: parseClusterNodes('a|8|||True\n') }), undefined, 'no model label: not guessed');
  const fit = checkProfileFit(ProfileSchema.parse(PRESETS.find((p) => p.id === 'b200x8-vllm-gke-helm')!.profile), spec);
  assert.equal(fit.refuse, false, fit.summary);
});

test('run on a host (kubectl and helm logging their argv): the token and key reach kubectl only on stdin, byte for byte; helm reads the values on stdin; stop uninstalls and deletes both Secrets', () => {
  const host = createStubHost();
  try {
    const token = 'hf_StubToken_$(id)_`x`';
    const key = 'dsd-StubKey-123';
    const plan = renderLaunch(k8s({ name: 'stub', runtime: { context: 'ctx-a' } }), { hfToken: token, apiKey: key });
    host.runStart(plan);
    const calls = host.calls();
    assert.ok(!JSON.stringify(calls).includes(token) && !JSON.stringify(calls).includes(key), 'in no argv');
    const creates = calls.filter((c) => c[0] === 'kubectl' && c.includes('create'));
    assert.deepEqual(creates.map((c) => c.slice(1, -1)), [
      ['--context', 'ctx-a', '--namespace', 'default', 'create', 'secret', 'generic', 'dsd-stub-hf-token', '--from-file=token=/dev/stdin'],
      ['--context', 'ctx-a', '--namespace', 'default', 'create', 'secret', 'generic', 'dsd-stub-api-key', '--from-file=api-key=/dev/stdin'],
    ]);
    const stored = readdirSync(host.dir).filter((f) => f.startsWith('secret.')).map((f) => readFileSync(path.join(host.dir, f), 'utf8')).sort();
    assert.deepEqual(stored, [key, token].sort(), 'exactly the values, no trailing newline');
    const values = readFileSync(`${host.log}.values`, 'utf8').split('\u001e').filter(Boolean);
    assert.equal(values.length, 1);
    assert.equal(values[0].trimEnd(), plan.values!.trimEnd());
    const helm = calls.find((c) => c[0] === 'helm')!;
    assert.deepEqual(helm.slice(1, 9), ['--kube-context', 'ctx-a', '--namespace', 'default', 'upgrade', '--install', 'dsd-stub', helm[8]]);
    const before = calls.length;
    for (const s of plan.stop) assert.equal(host.exec(s.argv).code, 0);
    const stopCalls = host.calls().slice(before).map((c) => c.slice(0, -1).join(' '));
    assert.ok(stopCalls.includes('helm --kube-context ctx-a --namespace default uninstall dsd-stub --wait --timeout 90s'), stopCalls.join('\n'));
    assert.ok(stopCalls.includes('kubectl --context ctx-a --namespace default delete secret dsd-stub-hf-token dsd-stub-api-key --ignore-not-found'), stopCalls.join('\n'));
  } finally {
    host.dispose();
  }
});

test('values are YAML written by the yaml library: a value with YAML, shell and template syntax comes back from the file unchanged', () => {
  const nasty = 'x: y # $(touch /tmp/dsd-canary) `id` {{ .Release.Name }} \'"&*!|>';
  const plan = renderLaunch(k8s({ name: 'nasty', model: { id: 'org/model', servedModelName: nasty }, env: { NOTE: nasty } }));
  const v = parseYaml(plan.values!) as ChartValues;
  assert.equal(v.engine.env.NOTE, nasty);
  assert.equal(v.engine.args[v.engine.args.indexOf('--served-model-name') + 1], nasty);
  assert.equal(spawnSync('bash', ['-n'], { input: planToScript(plan), encoding: 'utf8' }).status, 0);
});
