import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { clusterEnv, must, run, waitFor } from './helpers/kubeCluster';

// The product's kubernetes runtime as a user runs it: `deepseek-deploy launch/ps/logs/stop` with a profile whose
// runtime is kubernetes, against the tier's real one-node cluster (kubeconfig from env.sh = "this machine's"), the
// product's chart, and the simulator image tagged vllm/vllm-openai:v0.9.0.
const NS = 'dsd-rt';
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const NODE_GPUS = path.resolve(__dirname, '../../../test/infra/k8s-node-gpus.sh');
const TOKEN = 'hf_k8sRuntimeSecret_9b1f27';

let env: NodeJS.ProcessEnv;
let dir: string;

before(async () => {
  env = await clusterEnv();
  dir = mkdtempSync(path.join(tmpdir(), 'dsd-k8s-rt-'));
  env = { ...env, XDG_CONFIG_HOME: dir };
  await run('kubectl', ['create', 'namespace', NS], { env });
});

after(async () => {
  if (env) {
    for (const rel of ['dsd-k8s-r1', 'dsd-k8s-pending', 'dsd-k8s-noimage', 'dsd-k8s-crash']) await run('helm', ['uninstall', rel, '-n', NS], { env });
    await run('kubectl', ['wait', '--for=delete', 'pod', '-n', NS, '--all', '--timeout=90s'], { env, timeoutMs: 100_000 });
    await run('kubectl', ['delete', 'namespace', NS, '--ignore-not-found', '--wait=false'], { env });
    await run('bash', [NODE_GPUS, '8'], { env });
    await run('kubectl', ['label', 'node', env.DSD_K8S_NODE ?? 'dsd-k8s-node', 'nvidia.com/gpu.product-'], { env });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const profile = (name: string, extra: string[] = [], tp = 8): string => {
  const f = path.join(dir, `${name}.deepseek.yaml`);
  writeFileSync(f, [
    `name: ${name}`, 'host: local', 'engine: {kind: vllm, version: 0.9.0}', 'model: {id: deepseek-ai/DeepSeek-R1}', `parallel: {tp: ${tp}}`,
    "env: {DSD_SIM_OPTS: '--startup-speed 1000 --gpus 8xH200-141GB'}",
    'runtime:', '  kind: kubernetes', `  namespace: ${NS}`, '  imagePullPolicy: Never', '  shmSize: 256Mi', ...extra, '',
  ].join('\n'));
  return f;
};

interface Cli { readonly code: number | null; readonly stdout: string; readonly stderr: string }
function cli(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 240_000): Promise<Cli> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    const t = setTimeout(() => c.kill('SIGINT'), timeoutMs);
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/** A CLI run that keeps going (launch holds the port-forward): resolves when `until` matches its output. */
function cliUntil(args: string[], extraEnv: Record<string, string>, until: RegExp, ms: number): Promise<{ child: ChildProcess; out: () => Cli; done: Promise<Cli> }> {
  const c = spawn(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv } });
  let stdout = '';
  let stderr = '';
  const done = new Promise<Cli>((r) => c.on('close', (code) => r({ code, stdout, stderr })));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { c.kill('SIGINT'); reject(new Error(`no ${until} after ${ms} ms:\n${stderr}\n${stdout}`)); }, ms);
    const check = (): void => {
      if (until.test(stdout + stderr)) {
        clearTimeout(t);
        resolve({ child: c, out: () => ({ code: null, stdout, stderr }), done });
      }
    };
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); check(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); check(); });
    void done.then((r) => { clearTimeout(t); reject(new Error(`the CLI exited (${r.code}) before ${until}:\n${r.stderr}\n${r.stdout}`)); });
  });
}

/** Processes of this machine whose command line mentions every word (the port-forward we must not leave). */
function processesWith(...words: string[]): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (words.every((w) => cmd.includes(w))) out.push(`${pid}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

const leftovers = async (release: string): Promise<string> => [
  (await must(env, 'helm', ['list', '-n', NS, '-q'])).trim(),
  (await must(env, 'kubectl', ['get', 'secret,pod,deploy,svc,configmap', '-n', NS, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).trim(),
  (await must(env, 'kubectl', ['get', 'secret', '-n', NS, '-o', 'name'])).split('\n').filter((s) => s.includes(release)).join(' '),
  processesWith('port-forward', release).join('\n'),
].filter(Boolean).join('\n');

test('single-node release: values and the exact helm command shown, ready through kubectl port-forward, chat, benchmark, ps by label; the HF token only in its Secret; stop leaves nothing', { timeout: 600_000 }, async () => {
  const f = profile('k8s-r1');
  // GPU feature discovery's label names the model: the memory planner checks the fit against the node's 8 GPUs.
  await must(env, 'kubectl', ['label', 'node', env.DSD_K8S_NODE!, 'nvidia.com/gpu.product=NVIDIA-H200', '--overwrite']);
  const launch = await cliUntil(['launch', f], { HF_TOKEN: TOKEN }, /port-forward open at http:\/\/127\.0\.0\.1:\d+/, 300_000);
  try {
    await singleNodeChecks(launch);
  } catch (e) {
    // A failed check must not leave the release holding the node's GPUs for the tests after it.
    launch.child.kill('SIGINT');
    await cli(['stop', 'local/k8s-r1']).catch(() => undefined);
    throw e;
  }
});

async function singleNodeChecks(launch: Awaited<ReturnType<typeof cliUntil>>): Promise<void> {
  const { stdout, stderr } = launch.out();
  const url = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)![1];
  // Shown before it ran: the values (no secret), then the one helm command.
  assert.match(stderr, /values \(helm --values -\):\n {2}# DeepSeek Deploy: values for release dsd-k8s-r1[^]*\n {2}workload: deployment\n[^]*\n {4}secretName: dsd-k8s-r1-hf-token\n/);
  assert.match(stderr, /\$ helm --namespace dsd-rt upgrade --install dsd-k8s-r1 \S+charts\/deepseek-deploy --values -\n/);
  assert.ok(stderr.indexOf('$ helm') < stderr.indexOf('] ready'), 'the command is shown before the release starts');
  assert.match(stderr, /note: cluster: the current kubeconfig context, Kubernetes v1\.20\.2, namespace dsd-rt/);
  assert.match(stderr, /note: GPUs: 1 node\(s\) with ≥ 8 allocatable nvidia\.com\/gpu/);
  assert.match(stderr, /memory fit: fits on 8× H200-141GB/);
  assert.match(stderr, /loading weights 100%/);
  assert.ok(!stderr.includes(TOKEN) && !stdout.includes(TOKEN));
  // The engine is vLLM in a pod: reachable by every pod of the cluster, so a key is generated, kept in a 0600 file.
  const keyFile = /a random one is in (\S+);/.exec(stderr)![1];
  const key = readFileSync(keyFile, 'utf8');
  const chat = await cli(['chat', '--endpoint', url, 'How many r are there in strawberry?'], { OPENAI_API_KEY: key }, 60_000);
  assert.equal(chat.code, 0, chat.stderr);
  assert.ok(chat.stdout.trim().length > 0, 'an answer came back through the port-forward');
  const bench = await cli(['bench', '--base-url', url, '--model', 'deepseek-ai/DeepSeek-R1', '--dataset-name', 'random', '--random-input-len', '64', '--random-output-len', '16', '--num-prompts', '12', '--max-concurrency', '4'], { OPENAI_API_KEY: key }, 120_000);
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stdout, /Successful requests:\s+12\s*\n/);
  // The token reached the engine's environment through the Secret (no newline added), and nothing else holds it.
  const pod = (await must(env, 'kubectl', ['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/instance=dsd-k8s-r1', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  assert.equal(Buffer.from(await must(env, 'kubectl', ['get', 'secret', 'dsd-k8s-r1-hf-token', '-n', NS, '-o', 'jsonpath={.data.token}']), 'base64').toString(), TOKEN);
  assert.equal(await must(env, 'kubectl', ['exec', '-n', NS, pod, '--', 'sh', '-c', 'printf %s "$HF_TOKEN"']), TOKEN);
  const objects = await must(env, 'kubectl', ['get', 'deploy,rs,pod,svc,configmap,events', '-n', NS, '-o', 'yaml']);
  assert.ok(objects.includes('dsd-k8s-r1-hf-token') && !objects.includes(TOKEN), 'workload objects name the Secret, never hold the token');
  const secretYaml = await must(env, 'kubectl', ['get', 'secret', 'dsd-k8s-r1-hf-token', '-n', NS, '-o', 'yaml']);
  assert.ok(!secretYaml.includes('last-applied-configuration'), 'created, not applied: no copy of the data in an annotation');
  for (const what of ['values', 'manifest', 'hooks', 'notes']) assert.ok(!(await must(env, 'helm', ['get', what, 'dsd-k8s-r1', '-n', NS])).includes(TOKEN), `helm get ${what}`);
  const ps = await cli(['ps', '--json']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.ok(!ps.stdout.includes(TOKEN));
  const listed = (JSON.parse(ps.stdout) as Array<{ id: string; runtime: string; state: string }>).find((s) => s.id === 'local/k8s-r1');
  assert.deepEqual(listed && [listed.runtime, listed.state], ['kubernetes', 'running']);
  const logs = await cli(['logs', 'local/k8s-r1', '--no-follow']);
  assert.match(logs.stdout, /Application startup complete|Starting vLLM API server/);
  // Ctrl-C closes the port-forward (the release keeps running); stop uninstalls it and removes the Secrets.
  launch.child.kill('SIGINT');
  assert.equal((await launch.done).code, 0);
  // The forward ends with the CLI (seen within 3 s by hand); under the suite's load it has taken longer than 10 s, so
  // the hard check is after stop below (leftovers: no port-forward may remain).
  await waitFor('the port-forward to end', 30_000, () => Promise.resolve(processesWith('port-forward', 'dsd-k8s-r1').length ? undefined : true)).catch(() => undefined);
  assert.ok((await must(env, 'helm', ['list', '-n', NS, '-q'])).includes('dsd-k8s-r1'), 'the release outlives the CLI');
  const stop = await cli(['stop', 'local/k8s-r1']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(await leftovers('dsd-k8s-r1'), '', 'no release, Secret, pod or port-forward is left');
}

test('a pod the node cannot hold is explained: pre-flight says so; launched anyway it waits "queued" with the scheduler\'s reason; Ctrl-C uninstalls it', { timeout: 300_000 }, async () => {
  const set = await run('bash', [NODE_GPUS, '2'], { env, timeoutMs: 60_000 });
  assert.equal(set.code, 0, set.stderr);
  try {
    const f = profile('k8s-pending');
    const refused = await cli(['launch', f, '--detach']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /gpus-missing: Each pod requests 8 nvidia\.com\/gpu, and no ready node has that many allocatable \(most: 2; nodes: dsd-k8s-node 2\)\. The pod would stay Pending\./);
    assert.match(refused.stderr, /\(--force launches anyway\)/);
    assert.equal((await must(env, 'helm', ['list', '-n', NS, '-q'])).trim(), '', 'nothing installed');
    const forced = await cliUntil(['launch', f, '--force'], {}, /\] queued 0\/1 nodes are available: 1 Insufficient nvidia\.com\/gpu\./, 120_000);
    forced.child.kill('SIGINT');
    const r = await forced.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FAILED: Launch cancelled\./);
    assert.equal(await leftovers('dsd-k8s-pending'), '', 'a cancelled launch uninstalls its release');
  } finally {
    await run('bash', [NODE_GPUS, '8'], { env, timeoutMs: 60_000 });
  }
});

test('an image the node does not have (imagePullPolicy Never) fails the launch at once with the kubelet\'s reason, and is uninstalled', { timeout: 300_000 }, async () => {
  const f = profile('k8s-noimage', [], 8);
  writeFileSync(f, readFileSync(f, 'utf8').replace('engine: {kind: vllm, version: 0.9.0}', 'engine: {kind: vllm, version: 0.9.0, image: "k8s.local/no-such-engine:1"}'));
  const r = await cli(['launch', f, '--detach']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /FAILED: The pod dsd-k8s-noimage-\S+ failed: ErrImageNeverPull \(imagePullPolicy is Never and the image is not on the node\)/);
  assert.equal(await leftovers('dsd-k8s-noimage'), '');
});

test('an engine that exits at start-up (an unknown flag): the launch fails with the engine\'s own error and its last log lines, and is uninstalled', { timeout: 300_000 }, async () => {
  const f = profile('k8s-crash');
  writeFileSync(f, readFileSync(f, 'utf8').replace('parallel: {tp: 8}', 'parallel: {tp: 8}\nknobs: {extraArgs: [--no-such-flag]}'));
  const r = await cli(['launch', f, '--detach']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /FAILED: The engine rejected its arguments: --no-such-flag/);
  assert.match(r.stderr, /last log lines:\n[^]*unrecognized arguments: --no-such-flag/);
  assert.equal(await leftovers('dsd-k8s-crash'), '');
});
