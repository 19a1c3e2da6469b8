import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildRemoteScript } from '../../src/core/ssh/remoteScript';
import type { LaunchPlan } from '../../src/core/runtimes/launchPlan';

/**
 * A throw-away "host" for rendered launch scripts: a HOME, a working directory, and argv-logging stubs for the
 * programs a launch runs (docker, docker-compose, sbatch, srun, scontrol, squeue, scancel, vllm, python3, kubectl, helm). Each stub
 * appends one record — program name, then every argument, separated by U+001F, ended by U+001E — so tests see the
 * exact words a program received. sbatch also saves the job script it read and runs it (as SLURM would, with the job
 * variables set), so what the job script does happens too. Scripts travel the way they do over SSH: buildRemoteScript
 * piped into bash.
 */
export interface StubHost {
  readonly dir: string;
  readonly home: string;
  readonly log: string;
  /** Runs argv on the stub host through the real remote-script transport; returns exit code and output. */
  exec(argv: readonly string[], stdin?: string, extraEnv?: Record<string, string>): { code: number | null; stdout: string; stderr: string };
  /** Runs a whole bash script (e.g. the "exact script" shown to users) on the stub host. */
  bash(script: string): { code: number | null; stdout: string; stderr: string };
  /** Every logged invocation: [program, ...args]. */
  calls(): string[][];
  /** The job scripts sbatch received, in order. */
  jobScripts(): string[];
  /** The compose files docker-compose / docker compose were given, in order. */
  composeFiles(): string[];
  /** Runs every start step of a plan; throws with the step's stderr if one fails. */
  runStart(plan: LaunchPlan): void;
  dispose(): void;
}

const STUB = `#!/bin/bash
prog=$(basename "$0")
{ printf '%s' "$prog"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\037ENV=%s' "\${DSD_TEST_ENV-<unset>}"; printf '\\036'; } >> "$DSD_STUB_LOG"
case "$prog" in
  docker)
    if [ "$1" = compose ] && [ "$2" = version ]; then [ -n "$DSD_STUB_COMPOSE_V2" ] && exit 0; exit 1; fi
    if [ "$1" = compose ]; then shift; fi
    ;;
esac
case "$prog" in
  docker|docker-compose)
    while [ $# -gt 0 ]; do if [ "$1" = -f ]; then cat "$2" >> "$DSD_STUB_LOG.compose"; printf '\\036' >> "$DSD_STUB_LOG.compose"; fi; [ "$1" = logs ] && echo "stub log line"; shift; done ;;
  sbatch)
    f=$(mktemp "$DSD_STUB_DIR/job.XXXXXX"); cat > "$f"; cat "$f" >> "$DSD_STUB_LOG.jobs"; printf '\\036' >> "$DSD_STUB_LOG.jobs"
    SLURM_JOB_ID=4242 SLURM_JOB_NODELIST=n1 SLURM_NODEID=0 SLURMD_NODENAME=n1 bash "$f" > "$DSD_STUB_DIR/job.out" 2>&1 < /dev/null
    echo 4242 ;;
  scontrol)
    [ "$2" = hostnames ] && echo n1; [ "$2" = node ] && echo "NodeName=n1 NodeAddr=127.0.0.1 State=IDLE" ;;
  kubectl)
    # A Secret's value read from stdin (--from-file=KEY=/dev/stdin) is kept, one file per secret, to compare.
    for a in "$@"; do case "$a" in --from-file=*=/dev/stdin) cat /dev/stdin > "$(mktemp "$DSD_STUB_DIR/secret.XXXXXX")" ;; esac; done ;;
  helm)
    for a in "$@"; do [ "$a" = - ] && { cat; printf '\\036'; } >> "$DSD_STUB_LOG.values"; done ;;
  srun)
    # Runs the step's command once, as rank 0 on n1.
    while [ $# -gt 0 ] && [ "\${1#-}" != "$1" ]; do shift; done
    SLURM_NODEID=0 SLURMD_NODENAME=n1 "$@" ;;
esac
exit 0
`;

export function createStubHost(): StubHost {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-stubhost-'));
  const home = path.join(dir, 'home');
  const bin = path.join(dir, 'bin');
  const cwd = path.join(dir, 'cwd');
  for (const d of [home, bin, cwd]) fs.mkdirSync(d, { recursive: true });
  for (const p of ['docker', 'docker-compose', 'sbatch', 'srun', 'scontrol', 'squeue', 'scancel', 'vllm', 'python3', 'ray', 'kubectl', 'helm']) fs.writeFileSync(path.join(bin, p), STUB, { mode: 0o755 });
  const log = path.join(dir, 'argv.log');
  const env = (): NodeJS.ProcessEnv => ({ PATH: `${bin}:/usr/bin:/bin`, HOME: home, DSD_STUB_LOG: log, DSD_STUB_DIR: dir, LANG: 'C.UTF-8' });
  const records = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\u001e').filter((r) => r !== '') : []);
  const run = (script: string, extraEnv: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('bash', ['-s'], { input: script, cwd, env: { ...env(), ...extraEnv }, encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const host: StubHost = {
    dir,
    home,
    log,
    exec: (argv, stdin, extraEnv) => run(buildRemoteScript(argv, { stdin }).script, extraEnv),
    bash: (script) => run(script),
    calls: () => records(log).map((r) => r.split('\u001f')),
    jobScripts: () => records(`${log}.jobs`),
    composeFiles: () => records(`${log}.compose`),
    runStart(plan) {
      for (const s of plan.start) {
        const r = host.exec(s.argv, s.stdin);
        if (r.code !== 0) throw new Error(`${s.description}: exit ${r.code}: ${r.stderr}`);
      }
      // The process runtime starts the engine in the background: wait for its record.
      for (let i = 0; i < 100 && plan.profile.runtime.kind === 'process' && !host.calls().some((c) => c[0] === 'vllm' || c[0] === 'python3'); i++) spawnSync('sleep', ['0.05']);
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
  return host;
}

/** A TCP port free on 127.0.0.1 right now (machines are shared: never hard-code one). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as import('node:net').AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
