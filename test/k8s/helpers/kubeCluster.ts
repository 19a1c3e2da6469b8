import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The k8s tier's run directory (test/infra/k8s-up.sh): env.sh and READY live here. */
export const K8S_RUN = process.env.DSD_K8S_RUN ?? '/tmp/dsd-k8s';

/** The chart in this checkout (tests run from out/test/k8s/…). */
export const CHART = path.resolve(__dirname, '../../../charts/deepseek-deploy');

/**
 * The cluster's environment from $K8S_RUN/env.sh (KUBECONFIG, PATH with kubectl 1.20 and helm 3, HELM_*_HOME,
 * DSD_K8S_NODE, image names), merged over this process's environment. Throws when the cluster is not up, naming the
 * script that brings it up: a k8s test never passes without a real cluster.
 */
export async function clusterEnv(): Promise<NodeJS.ProcessEnv> {
  if (!existsSync(path.join(K8S_RUN, 'READY'))) throw new Error(`no Kubernetes cluster: ${K8S_RUN}/READY is missing (run test/infra/k8s-up.sh)`);
  const out = await run('bash', ['-c', `. "${K8S_RUN}/env.sh" && env -0`], { env: process.env });
  const env: NodeJS.ProcessEnv = {};
  for (const kv of out.stdout.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (no shell) and resolves with its exit code and output; never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: opts.env, maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 120_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** kubectl/helm that must succeed: resolves stdout, rejects with the command and its stderr. */
export async function must(env: NodeJS.ProcessEnv, cmd: 'kubectl' | 'helm', args: readonly string[], input?: string): Promise<string> {
  const r = await run(cmd, args, { env, input });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Polls `check` every 250 ms until it returns a value other than undefined; rejects after `ms` naming `what`. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface PortForward {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `kubectl port-forward --address 127.0.0.1 TARGET :REMOTE` (a free local port), resolved once kubectl says where it
 * forwards from. close() ends kubectl and waits for it.
 */
export function portForward(env: NodeJS.ProcessEnv, namespace: string, target: string, remotePort: number): Promise<PortForward> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('kubectl', ['-n', namespace, 'port-forward', '--address', '127.0.0.1', target, `:${remotePort}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`kubectl port-forward ${target}: no forwarding after 30 s: ${out}`));
    }, 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), close: async () => { child.kill(); await exited; } });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited ${code}: ${out}`));
    });
  });
}
