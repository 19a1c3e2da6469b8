import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { CHART, clusterEnv, must, run, waitFor } from './helpers/kubeCluster';
import { leaderWorkerSetCrd, type OpenApiV2 } from './helpers/lwsCrd';

// The chart's multi-node form for clusters that have LeaderWorkerSet: rendered to golden files, then validated by a real
// API server that has the LWS CRD (written by this test from the LWS API reference; no LWS controller runs).
const GOLDEN = path.resolve(__dirname, '../../../test/k8s/golden');
const CASES = ['lws-sglang-r1-2x8', 'lws-vllm-ray-r1-2x8', 'sts-sglang-r1-2x8'];
const NS = 'dsd-lws-golden';
const CRD = 'leaderworkersets.leaderworkerset.x-k8s.io';
const LWS_API = 'leaderworkerset.x-k8s.io/v1/LeaderWorkerSet';

let env: NodeJS.ProcessEnv;
let dir: string;

before(async () => {
  env = await clusterEnv();
  dir = mkdtempSync(path.join(tmpdir(), 'dsd-lws-'));
  const openapi = JSON.parse(await must(env, 'kubectl', ['get', '--raw', '/openapi/v2'])) as OpenApiV2;
  const crdFile = path.join(dir, 'lws-crd.json');
  writeFileSync(crdFile, JSON.stringify(leaderWorkerSetCrd(openapi)));
  await run('kubectl', ['delete', 'crd', CRD, '--ignore-not-found', '--wait=true'], { env });
  // create, not apply: the full schema is larger than the last-applied annotation may be (256 KiB)
  await must(env, 'kubectl', ['create', '-f', crdFile]);
  // (kubectl 1.20's `wait --for=condition` fails while a new object has no conditions yet: poll instead)
  await waitFor('the CRD to be Established', 60_000, async () => {
    const r = await run('kubectl', ['get', 'crd', CRD, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'], { env });
    return r.stdout.trim() === 'True' ? true : undefined;
  });
  await run('kubectl', ['create', 'namespace', NS], { env });
});

after(async () => {
  if (env) {
    await run('kubectl', ['delete', 'namespace', NS, '--ignore-not-found', '--wait=false'], { env });
    await run('kubectl', ['delete', 'crd', CRD, '--ignore-not-found'], { env });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `helm template` of one golden case, as for a cluster that serves LeaderWorkerSet. */
async function render(name: string): Promise<string> {
  return must(env, 'helm', ['template', name.replace(/-r1-2x8$/, ''), CHART, '-n', NS, '-f', path.join(GOLDEN, `${name}.values.yaml`), '--api-versions', LWS_API]);
}

function dryRun(manifest: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, `m-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, manifest);
  // --validate=false: the API server itself must judge the object (kubectl's own OpenAPI check would answer first)
  return run('kubectl', ['apply', '--dry-run=server', '--validate=false', '-n', NS, '-o', 'json', '-f', file], { env });
}

/** The rendered LeaderWorkerSet document, for mutation. */
function lwsDoc(manifest: string): Record<string, unknown> {
  const doc = parseAllDocuments(manifest).map((d) => d.toJS() as Record<string, unknown> | null).find((d) => d?.kind === 'LeaderWorkerSet');
  assert.ok(doc, 'the rendering has a LeaderWorkerSet');
  return doc;
}

test('helm template matches the golden files (LeaderWorkerSet for SGLang native and vLLM over Ray; StatefulSet + headless Service)', async () => {
  for (const name of CASES) {
    const got = await render(name);
    const file = path.join(GOLDEN, `${name}.yaml`);
    if (process.env.DSD_UPDATE_GOLDEN === '1' || !existsSync(file)) {
      assert.notEqual(process.env.CI, 'true', `golden ${file} is missing in CI`);
      writeFileSync(file, got);
    }
    assert.equal(got, readFileSync(file, 'utf8'), `${name}: the chart renders differently from ${file} (DSD_UPDATE_GOLDEN=1 rewrites it after review)`);
  }
});

test('without the LeaderWorkerSet API the chart refuses workload leaderworkerset, naming the alternative', async () => {
  const r = await run('helm', ['template', 'no-lws', CHART, '-f', path.join(GOLDEN, 'lws-sglang-r1-2x8.values.yaml')], { env });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /does not serve leaderworkerset\.x-k8s\.io\/v1 LeaderWorkerSet .*use workload statefulset/);
});

test('the API server with the LWS CRD accepts every golden manifest (server-side dry run), applying the schema\'s defaults and pruning', async () => {
  for (const name of CASES) {
    const manifest = readFileSync(path.join(GOLDEN, `${name}.yaml`), 'utf8');
    const r = await dryRun(manifest);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    const items = (JSON.parse(r.stdout) as { items?: Array<Record<string, unknown>> }).items ?? [JSON.parse(r.stdout) as Record<string, unknown>];
    assert.ok(items.length >= 2, `${name}: a workload and its Service(s)`);
    const lws = items.find((i) => i.kind === 'LeaderWorkerSet') as { spec: { rolloutStrategy: { rollingUpdateConfiguration: Record<string, unknown> }; leaderWorkerTemplate: Record<string, unknown> } } | undefined;
    if (name.startsWith('lws-')) {
      assert.ok(lws, `${name}: the server returned the LeaderWorkerSet`);
      // partition is not in the chart: the CRD's default filled it in
      assert.equal(lws.spec.rolloutStrategy.rollingUpdateConfiguration.partition, 0);
      assert.equal(lws.spec.leaderWorkerTemplate.size, 2);
    } else {
      assert.ok(items.some((i) => i.kind === 'StatefulSet'), `${name}: a StatefulSet`);
    }
  }
  // A field the schema does not know is pruned by the server, so the schema really is the structural one in force.
  const doc = lwsDoc(readFileSync(path.join(GOLDEN, 'lws-sglang-r1-2x8.yaml'), 'utf8'));
  (doc.spec as { leaderWorkerTemplate: Record<string, unknown> }).leaderWorkerTemplate.notAField = 'dropped';
  const r = await dryRun(stringify(doc));
  assert.equal(r.code, 0, r.stderr);
  const returned = JSON.parse(r.stdout) as { spec: { leaderWorkerTemplate: Record<string, unknown> } };
  assert.equal(returned.spec.leaderWorkerTemplate.notAField, undefined);
  assert.equal(returned.spec.leaderWorkerTemplate.size, 2);
});

test('the API server rejects LeaderWorkerSets with wrongly typed or unknown-enum fields, naming the field', async () => {
  const golden = readFileSync(path.join(GOLDEN, 'lws-sglang-r1-2x8.yaml'), 'utf8');
  type Lws = { spec: { leaderWorkerTemplate: { size: unknown; restartPolicy: unknown; workerTemplate: { spec: { containers: Array<Record<string, unknown>> } } }; startupPolicy: unknown } };
  const cases: Array<[string, (d: Lws) => void, RegExp]> = [
    ['size as a word', (d) => (d.spec.leaderWorkerTemplate.size = 'two'), /spec\.leaderWorkerTemplate\.size: Invalid value: "string": spec\.leaderWorkerTemplate\.size in body must be of type integer/],
    ['restartPolicy outside its enum', (d) => (d.spec.leaderWorkerTemplate.restartPolicy = 'Sometimes'), /spec\.leaderWorkerTemplate\.restartPolicy: Unsupported value: "Sometimes"/],
    ['startupPolicy outside its enum', (d) => (d.spec.startupPolicy = 'WhenReady'), /spec\.startupPolicy: Unsupported value: "WhenReady"/],
    ['a container\'s args as one string (pod template schema)', (d) => (d.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].args = '--tp 16'), /spec\.leaderWorkerTemplate\.workerTemplate\.spec\.containers(\[0\])?\.args: Invalid value: "string": .*must be of type array/],
    ['a GPU limit that is no quantity', (d) => (d.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].resources = { limits: { 'nvidia.com/gpu': 'eight' } }), /spec\.leaderWorkerTemplate\.workerTemplate\.spec\.containers(\[0\])?\.resources\.limits\.nvidia\.com\/gpu: Invalid value: "eight"/],
  ];
  for (const [what, mutate, expected] of cases) {
    const doc = lwsDoc(golden) as unknown as Lws;
    mutate(doc);
    const r = await dryRun(stringify(doc));
    assert.notEqual(r.code, 0, `${what}: accepted`);
    assert.match(r.stderr, expected, what);
  }
});
