import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { ProfileSchema } from '../../src/core/profiles/profileSchema';
import { renderLaunch, type LaunchPlan } from '../../src/core/runtimes/launchPlan';
import { parseJobStateOutput, SLURM_JOB_STATE_SCRIPT, type SlurmJobStatus } from '../../src/core/runtimes/slurmJobState';
import { Deployment, DeploymentError, type CommandRunner, type DeploymentState } from '../../src/core/launch/deployment';

// SLURM job states on the real cluster WITH accounting (slurm-acct-up.sh: slurmctld + slurmd + slurmdbd + MariaDB,
// MinJobAge=2 so finished jobs leave squeue within seconds, KillWait=30), observed the way the product observes
// them: SLURM_JOB_STATE_SCRIPT run as the SSH user over the real test sshd, parsed by the core state model.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const ACCT = path.join(INFRA, 'slurm-acct/slurm.conf');
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
const target: SshTarget = { id: 'slurm-states', host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-slurm-states-'));
fs.chmodSync(dir, 0o755);
const submitted: string[] = [];
const env = { ...process.env, SLURM_CONF: ACCT };
const uid = execFileSync('id', ['-u', 'dsd-gpu'], { encoding: 'utf8' }).trim();
after(() => {
  for (const id of submitted) try { execFileSync('scancel', [id], { env }); } catch { /* already gone */ }
  remote.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every command of this file runs against the accounting cluster (the SSH user's own SLURM_CONF is another one). */
const runner: CommandRunner = { exec: (argv, o) => remote.pool.exec(target, argv, { ...o, env: { SLURM_CONF: ACCT } }) };
const sbatch = (...args: string[]): string => {
  const id = execFileSync('runuser', ['-u', 'dsd-gpu', '--', 'env', `SLURM_CONF=${ACCT}`, 'sbatch', '--parsable', '--chdir=/tmp', '--output=/dev/null', ...args], { encoding: 'utf8' }).trim().split(';')[0];
  submitted.push(id);
  return id;
};
const squeueState = (id: string): string => execFileSync('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T'], { env, encoding: 'utf8' }).trim();

/** One look-up exactly as the deployment does it (the job id file, the script, over SSH). */
async function lookup(id: string): Promise<{ raw: string; status: SlurmJobStatus | undefined }> {
  const file = path.join(dir, `job-${id}`);
  fs.writeFileSync(file, `${id}\n`, { mode: 0o644 });
  const r = await runner.exec(['sh', '-c', SLURM_JOB_STATE_SCRIPT, 'sh', file], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return { raw: r.stdout, status: parseJobStateOutput(r.stdout) };
}

async function waitFor(id: string, what: string, ok: (s: SlurmJobStatus | undefined, raw: string) => boolean, ms = 30_000): Promise<{ raw: string; status: SlurmJobStatus | undefined }> {
  const end = Date.now() + ms;
  let last = await lookup(id);
  while (!ok(last.status, last.raw)) {
    if (Date.now() > end) assert.fail(`job ${id}: ${what} not seen within ${ms / 1000} s; last output:\n${last.raw}`);
    await new Promise((r) => setTimeout(r, 500));
    last = await lookup(id);
  }
  return last;
}

// Submitted first: SLURM enforces a 1-minute limit on its next time-limit pass, so this runs alongside the others.
const timeoutJob = sbatch('--time=1', '--job-name=dsd-to', '--wrap', 'sleep 600');

test('PD with its reason → R → CA "cancelled by" the user, as squeue and sacct report them', async () => {
  const blocker = sbatch('--gres=gpu:8', '--job-name=dsd-block', '--wrap', 'sleep 300');
  const running = await waitFor(blocker, 'RUNNING', (s) => s?.state.code === 'R');
  assert.equal(running.status?.source, 'squeue');
  const pending = sbatch('--gres=gpu:8', '--job-name=dsd-wait', '--wrap', 'sleep 1');
  const pd = await waitFor(pending, 'PENDING with a reason', (s) => s?.state.code === 'PD' && !!s.reason);
  assert.equal(pd.status?.state.phase, 'pending');
  assert.match(pd.status?.reason ?? '', /Resources|Priority/);
  execFileSync('runuser', ['-u', 'dsd-gpu', '--', 'env', `SLURM_CONF=${ACCT}`, 'scancel', pending]);
  const ca = await waitFor(pending, 'CANCELLED', (s) => s?.state.phase === 'ended');
  assert.equal(ca.status?.state.code, 'CA');
  // Once the controller has purged it, only the accounting database knows who cancelled it.
  const gone = await waitFor(pending, 'the record in sacct', (s, raw) => s?.source === 'sacct' && /@@squeue\n@@sacct/.test(raw));
  assert.equal(gone.status?.state.code, 'CA');
  assert.equal(gone.status?.cancelledBy, uid);
  execFileSync('scancel', [blocker], { env });
});

test('CD and F with their exit codes; jobs that end between two polls and leave squeue are found in sacct', async () => {
  const ok = sbatch('--job-name=dsd-cd', '--wrap', 'exit 0');
  const bad = sbatch('--job-name=dsd-f', '--wrap', 'sleep 1; exit 3');
  for (const [id, code, exit] of [[ok, 'CD', 0], [bad, 'F', 3]] as const) {
    const r = await waitFor(id, 'gone from squeue, found in sacct', (s, raw) => raw.startsWith('@@squeue\n@@sacct') && !!s, 60_000);
    assert.equal(r.status?.source, 'sacct', r.raw);
    assert.equal(r.status?.state.code, code);
    assert.equal(r.status?.exitCode, exit);
    assert.equal(r.status?.signal, 0);
    assert.equal(r.status?.state.success, code === 'CD');
  }
});

test('CG: a cancelled job whose processes ignore SIGTERM stays COMPLETING for KillWait — and is reported ended at once', async () => {
  // sleep 15: the job holds the node no longer than that (SLURM schedules nothing new there while a job completes).
  const id = sbatch('--job-name=dsd-cg', '--wrap', 'trap "" TERM; echo up; sleep 15');
  await waitFor(id, 'RUNNING', (s) => s?.state.code === 'R');
  execFileSync('scancel', [id], { env });
  const r = await waitFor(id, 'COMPLETING in squeue', (_s, raw) => raw.includes('|COMPLETING|'), 10_000);
  assert.equal(r.status?.state.phase, 'ended', r.raw);
  assert.ok(['CG', 'CA'].includes(r.status?.state.code ?? ''), r.raw);
  assert.equal(squeueState(id), 'COMPLETING', 'still completing while we already call it ended');
});

function slurmPlan(name: string, port: number, body: readonly string[]): LaunchPlan {
  const base = renderLaunch(ProfileSchema.parse({ name, host: 'dsd-gpu', engine: { kind: 'simulator' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, parallel: { tp: 8 }, knobs: { port }, runtime: { kind: 'slurm', gpusPerNode: 8 } }));
  // The product's own submit step, header and log follow; only the engine line is replaced by the test's body.
  const start = base.start.map((s) => (s.description.startsWith('submit') ? { ...s, stdin: `${s.stdin!.split('\n').filter((l) => !l.startsWith('exec ')).join('\n')}\n${body.join('\n')}\n` } : s));
  return { ...base, start };
}

async function launchExpectingEnd(plan: LaunchPlan, onState: (s: DeploymentState, d?: string) => void, onLog?: (line: string) => void): Promise<DeploymentError> {
  const dep = new Deployment(plan, runner, { onState, onLog });
  try {
    await dep.start({ reach: () => Promise.reject(new Error('never ready')), timeoutMs: 120_000 });
  } catch (e) {
    assert.ok(e instanceof DeploymentError, String(e));
    return e;
  }
  return assert.fail('the launch should have failed');
}

const jobIdOf = (name: string): string => fs.readFileSync(`/home/dsd-gpu/.deepseek-deploy/slurm/job-id-${name}`, 'utf8').trim().split(';')[0];

/** When SLURM recorded the job's end (sacct End, whole seconds), in ms since the epoch. */
const endOf = (id: string): number => Date.parse(`${execFileSync('sacct', ['-n', '-P', '-X', '-j', id, '-o', 'End'], { env, encoding: 'utf8' }).trim()}Z`);

test('a launch whose SLURM job exits between two polls fails at the next poll with SLURM\'s final state and exit code', async () => {
  const plan = slurmPlan('st-exit7', 18691, ['echo "deepseek-deploy: test job up"', 'sleep 3', 'exit 7']);
  const t0 = Date.now();
  const err = await launchExpectingEnd(plan, () => undefined);
  const reportedAt = Date.now();
  const id = jobIdOf('st-exit7');
  submitted.push(id);
  assert.match(err.message, new RegExp(`^The SLURM job ${id} ended: FAILED, exit code 7: `));
  assert.ok(reportedAt - t0 < 90_000, 'not the start-up deadline');
  // One poll (2 s) + the grace for the log (1.5 s) + the look-up itself; sacct's End has whole seconds.
  const late = reportedAt - endOf(id);
  assert.ok(late < 7000, `reported ${late} ms after SLURM recorded the end`);
});

test('a launch whose job goes COMPLETING (CG) fails within one poll, while SLURM still shows it completing', async () => {
  // The job ignores SIGTERM, so after scancel it stays COMPLETING until its sleep ends (KillWait is 30 s).
  const plan = slurmPlan('st-cg', 18692, ['trap "" TERM', 'echo "deepseek-deploy: test job up"', 'sleep 25']);
  let cancelledAt = 0;
  const states: string[] = [];
  const err = await launchExpectingEnd(plan, (s, d) => states.push(`${s}${d ? `:${d}` : ''}`), (line) => {
    // Cancel once the job's script runs past its trap, as a user or an administrator would.
    if (line.includes('test job up') && !cancelledAt) {
      const id = jobIdOf('st-cg');
      submitted.push(id);
      execFileSync('scancel', [id], { env });
      cancelledAt = Date.now();
    }
  });
  const id = jobIdOf('st-cg');
  assert.ok(cancelledAt > 0, states.join(' → '));
  assert.match(err.message, new RegExp(`^The SLURM job ${id} ended: (CANCELLED|COMPLETING)`), states.join(' → '));
  assert.ok(Date.now() - cancelledAt < 8000, `reported ${Date.now() - cancelledAt} ms after scancel`);
  assert.equal(squeueState(id), 'COMPLETING', 'reported while the job is still completing');
});

test('TO: a job past its --time limit is reported TIMEOUT (checked last: SLURM enforces limits on its own schedule)', async () => {
  const r = await waitFor(timeoutJob, 'TIMEOUT', (s) => s?.state.phase === 'ended', 150_000);
  assert.equal(r.status?.state.code, 'TO', r.raw);
  assert.equal(r.status?.state.phase, 'ended');
});
