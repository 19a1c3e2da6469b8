import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHART, clusterEnv, must, run } from './helpers/kubeCluster';

// The chart itself (helm 3.17 from the tier's cache): lint-clean in every single-cluster form, and wrong values are
// refused before anything reaches a cluster, naming the value.
const GOLDEN = path.resolve(__dirname, '../../../test/k8s/golden');
let env: NodeJS.ProcessEnv;

before(async () => {
  env = await clusterEnv();
});

test('helm lint --strict is clean for the Deployment, Job and StatefulSet forms', async () => {
  const forms: Array<[string, string[]]> = [
    ['deployment (defaults)', []],
    ['job', ['--set', 'workload=job', '--set', 'job.ttlSecondsAfterFinished=600']],
    ['statefulset', ['-f', path.join(GOLDEN, 'sts-sglang-r1-2x8.values.yaml')]],
    ['statefulset, configMap discovery', ['-f', path.join(GOLDEN, 'sts-sglang-r1-2x8.values.yaml'), '--set', 'multiNode.leaderDiscovery=configMap']],
  ];
  for (const [what, args] of forms) {
    const r = await run('helm', ['lint', '--strict', CHART, ...args], { env });
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/, what);
  }
});

test('wrong values are refused by values.schema.json or the chart, naming the value', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--set', 'nodes=two'], /nodes: Invalid type\. Expected: integer, given: string/],
    [['--set', 'gpu.count=-1'], /gpu\.count: Must be greater than or equal to 0/],
    [['--set', 'workload=daemonset'], /workload: workload must be one of the following/],
    [['--set', 'launch.id=has space'], /launch\.id: Does not match pattern/],
    [['--set', 'hfToken.secretName=Not_A_Name'], /hfToken\.secretName: Must validate at least one schema/],
    // there is no place for a token's value: only the name of a Secret
    [['--set', 'hfToken.value=hf_abc'], /hfToken: Additional property value is not allowed/],
    [['--set', 'engine.env.BAD-NAME=1'], /engine\.env: Property name of "BAD-NAME" does not match/],
    [['--set', 'nodes=2'], /nodes: 2 needs workload statefulset or leaderworkerset/],
    [['--set', 'workload=statefulset', '--set', 'nodes=2'], /engine\.command must be set for a multi-node workload/],
    [['--set', 'hfCache.type=pvc'], /hfCache\.type pvc needs hfCache\.claimName/],
  ];
  for (const [args, expected] of cases) {
    const r = await run('helm', ['template', 'bad', CHART, ...args], { env });
    assert.notEqual(r.code, 0, `${args.join(' ')} was accepted`);
    assert.match(r.stderr, expected, args.join(' '));
  }
});

test('the Job form (seed 004\'s benchmark run) runs once to completion with the engine\'s words kept literal', async () => {
  const out = await must(env, 'helm', ['template', 'bench-r1', CHART, '--set', 'workload=job', '--set-json',
    'engine.args=["--model","deepseek-ai/DeepSeek-R1","--served-model-name","r1-$(HOME)"]', '--set', 'hfToken.secretName=hf-r1']);
  const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; spec: Record<string, unknown> });
  const job = docs.find((d) => d.kind === 'Job') as { spec: { backoffLimit: number; completions: number; template: { spec: { restartPolicy: string; containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> } } } } | undefined;
  assert.ok(job, 'a Job');
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.completions, 1);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  const c = job.spec.template.spec.containers[0];
  // `$` doubled so that Kubernetes hands the engine `$(HOME)` and not the value of HOME
  assert.deepEqual(c.args, ['--model', 'deepseek-ai/DeepSeek-R1', '--served-model-name', 'r1-$$(HOME)']);
  const token = c.env.find((e) => e.name === 'HF_TOKEN');
  assert.deepEqual(token, { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-r1', key: 'token' } } });
});
