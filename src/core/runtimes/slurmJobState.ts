/**
 * SLURM job states as SLURM reports them, in one model for squeue, sacct and scontrol output.
 *
 * Source: squeue(1) "JOB STATE CODES" and sacct(1) "JOB STATE CODES" (Slurm 22.05, Debian 12's slurm-wlm). squeue
 * knows all 24 codes below; sacct a subset (BF CA CD DL F NF OOM PD PR R RQ RS RV S TO). `scontrol show job` prints
 * the long names as `JobState=…`.
 */

/**
 * Where a job is in its life, from the deployment's point of view:
 * - 'pending': waiting for an allocation (PD, and the requeue/hold states that put it back in the queue);
 * - 'starting': allocated, nodes not ready yet (CF);
 * - 'running': has an allocation and runs (R, RS, SI);
 * - 'paused': has (or had) an allocation but does not run (S, ST);
 * - 'ended': the batch script has ended. COMPLETING (CG) and STAGE_OUT (SO) are here: the script is gone and the
 *   server with it; SLURM is only cleaning up.
 */
export type SlurmPhase = 'pending' | 'starting' | 'running' | 'paused' | 'ended';

export interface SlurmStateCode {
  /** Short form, e.g. "CG". */
  readonly code: string;
  /** Long form, e.g. "COMPLETING". */
  readonly name: string;
  readonly phase: SlurmPhase;
  /** Ended states only: true for COMPLETED; false for every other end. */
  readonly success?: boolean;
  /** squeue(1)'s explanation, shortened. */
  readonly meaning: string;
}

/** squeue(1) JOB STATE CODES, all of them. */
export const SLURM_JOB_STATES: readonly SlurmStateCode[] = [
  { code: 'BF', name: 'BOOT_FAIL', phase: 'ended', success: false, meaning: 'launch failure, typically a node that could not boot' },
  { code: 'CA', name: 'CANCELLED', phase: 'ended', success: false, meaning: 'cancelled by the user or an administrator' },
  { code: 'CD', name: 'COMPLETED', phase: 'ended', success: true, meaning: 'all processes ended with exit code 0' },
  { code: 'CF', name: 'CONFIGURING', phase: 'starting', meaning: 'allocated, waiting for the nodes to become ready (e.g. booting)' },
  { code: 'CG', name: 'COMPLETING', phase: 'ended', success: false, meaning: 'completing: the job has ended, some processes may still be cleaned up' },
  { code: 'DL', name: 'DEADLINE', phase: 'ended', success: false, meaning: 'terminated on deadline' },
  { code: 'F', name: 'FAILED', phase: 'ended', success: false, meaning: 'non-zero exit code or other failure' },
  { code: 'NF', name: 'NODE_FAIL', phase: 'ended', success: false, meaning: 'one or more allocated nodes failed' },
  { code: 'OOM', name: 'OUT_OF_MEMORY', phase: 'ended', success: false, meaning: 'out of memory' },
  { code: 'PD', name: 'PENDING', phase: 'pending', meaning: 'awaiting resource allocation' },
  { code: 'PR', name: 'PREEMPTED', phase: 'ended', success: false, meaning: 'terminated by preemption' },
  { code: 'R', name: 'RUNNING', phase: 'running', meaning: 'has an allocation' },
  { code: 'RD', name: 'RESV_DEL_HOLD', phase: 'pending', meaning: 'held after its reservation was deleted' },
  { code: 'RF', name: 'REQUEUE_FED', phase: 'pending', meaning: 'being requeued by a federation' },
  { code: 'RH', name: 'REQUEUE_HOLD', phase: 'pending', meaning: 'held job being requeued' },
  { code: 'RQ', name: 'REQUEUED', phase: 'pending', meaning: 'completing job being requeued' },
  { code: 'RS', name: 'RESIZING', phase: 'running', meaning: 'about to change size' },
  { code: 'RV', name: 'REVOKED', phase: 'ended', success: false, meaning: 'removed from this cluster: another cluster of the federation started it' },
  { code: 'SI', name: 'SIGNALING', phase: 'running', meaning: 'being signaled' },
  { code: 'SE', name: 'SPECIAL_EXIT', phase: 'ended', success: false, meaning: 'requeued in a special state after a particular exit value' },
  { code: 'SO', name: 'STAGE_OUT', phase: 'ended', success: false, meaning: 'staging out files after the job ended' },
  { code: 'ST', name: 'STOPPED', phase: 'paused', meaning: 'stopped with SIGSTOP, CPUs retained' },
  { code: 'S', name: 'SUSPENDED', phase: 'paused', meaning: 'suspended, CPUs released to other jobs' },
  { code: 'TO', name: 'TIMEOUT', phase: 'ended', success: false, meaning: 'reached its time limit' },
];

const BY_CODE = new Map(SLURM_JOB_STATES.flatMap((s) => [[s.code, s], [s.name, s]] as const));

/**
 * A state as any SLURM command prints it: long or short form, any case, sacct's "CANCELLED by 1000" (uid of the
 * canceller), sacct's truncated "CANCELLED+", or scontrol's flags after a "+" ("COMPLETING+" is not used, but
 * "RUNNING+" style suffixes are stripped). undefined for anything else.
 */
export function slurmState(text: string): { state: SlurmStateCode; cancelledBy?: string } | undefined {
  const m = /^\s*([A-Za-z_]+)\+?(?:\s+by\s+(\S+))?\s*$/.exec(text);
  if (!m) return undefined;
  const state = BY_CODE.get(m[1].toUpperCase());
  return state ? { state, cancelledBy: m[2] } : undefined;
}

/**
 * A job id as SLURM prints it: plain "1234", array task "1234_5", array range "1234_[1-3]" or "1234_[1,3-5%2]",
 * heterogeneous component "1234+0", optionally a step ("1234.batch", "1234.0", "1234+1.extern"). Throws for
 * anything else (a clear error, not a silent wrong id).
 */
export interface SlurmJobId {
  /** The job (array / heterogeneous leader) id. */
  readonly jobId: number;
  /** Array task: a number, or a bracketed range as printed. */
  readonly arrayTask?: number | string;
  /** Heterogeneous job component offset. */
  readonly hetOffset?: number;
  readonly step?: string;
}

export function parseSlurmJobId(text: string): SlurmJobId {
  const m = /^(\d+)(?:_(\d+|\[[0-9,%-]+\]))?(?:\+(\d+))?(?:\.([A-Za-z0-9_]+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a SLURM job id: "${text}" (expected 1234, 1234_5, 1234_[1-3] or 1234+0)`);
  return {
    jobId: Number(m[1]),
    ...(m[2] !== undefined ? { arrayTask: /^\d+$/.test(m[2]) ? Number(m[2]) : m[2] } : {}),
    ...(m[3] !== undefined ? { hetOffset: Number(m[3]) } : {}),
    ...(m[4] !== undefined ? { step: m[4] } : {}),
  };
}

/** What is known about one job (or one array task / het component) after a look-up. */
export interface SlurmJobStatus {
  readonly id: string;
  readonly state: SlurmStateCode;
  /** squeue's %r / scontrol's Reason / sacct's Reason: why it pends or why it ended; undefined for "None". */
  readonly reason?: string;
  /** From sacct's or scontrol's ExitCode "code:signal": the batch script's exit code… */
  readonly exitCode?: number;
  /** …and the signal that ended it (0 = none). */
  readonly signal?: number;
  /** sacct's "CANCELLED by UID". */
  readonly cancelledBy?: string;
  readonly source: 'squeue' | 'sacct' | 'scontrol' | 'plain';
}

const reasonOf = (r: string | undefined): string | undefined => {
  const t = r?.trim().replace(/^\((.*)\)$/, '$1');
  return !t || t === 'None' || t === '(null)' ? undefined : t;
};

function exitOf(text: string | undefined): { exitCode?: number; signal?: number } {
  const m = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  return m ? { exitCode: Number(m[1]), signal: Number(m[2]) } : {};
}

/** Lines of `squeue -h -t all -j ID -o '%i|%T|%r'`. Lines that are not jobs (errors) are skipped. */
export function parseSqueueLines(text: string): SlurmJobStatus[] {
  const out: SlurmJobStatus[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [id, st, reason] = line.split('|');
    const s = st === undefined ? undefined : slurmState(st);
    if (!s || !/^\d/.test(id.trim())) continue;
    out.push({ id: id.trim(), state: s.state, reason: reasonOf(reason), source: 'squeue' });
  }
  return out;
}

/**
 * Lines of `sacct -n -P -X -j ID -o JobID,State,ExitCode,Reason` (parsable, allocations only: no .batch/.extern
 * steps). Steps that slip through are skipped: the allocation line carries the job's state.
 */
export function parseSacctLines(text: string): SlurmJobStatus[] {
  const out: SlurmJobStatus[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [id, st, exit, reason] = line.split('|');
    const s = st === undefined ? undefined : slurmState(st);
    if (!s || !/^\d/.test(id.trim()) || id.includes('.')) continue;
    out.push({ id: id.trim(), state: s.state, cancelledBy: s.cancelledBy, reason: reasonOf(reason), ...exitOf(exit), source: 'sacct' });
  }
  return out;
}

/** `scontrol show job -o ID` (one line per job: "JobId=… JobState=… Reason=… ExitCode=1:0 …"). */
export function parseScontrolJobs(text: string): SlurmJobStatus[] {
  const out: SlurmJobStatus[] = [];
  for (const line of text.split(/\r?\n/)) {
    const field = (k: string): string | undefined => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1];
    const jobId = field('JobId');
    const st = field('JobState');
    const s = st === undefined ? undefined : slurmState(st);
    if (!jobId || !s) continue;
    const arrayJob = field('ArrayJobId');
    const arrayTask = field('ArrayTaskId');
    const hetJob = field('HetJobId');
    const hetOffset = field('HetJobOffset');
    const id = arrayJob && arrayTask ? `${arrayJob}_${arrayTask}` : hetJob && hetOffset ? `${hetJob}+${hetOffset}` : jobId;
    // Reason may hold spaces ("Reason=ReqNodeNotAvail, UnavailableNodes:node1"): it runs up to the next "Key=".
    const reason = /(?:^|\s)Reason=(.*?)(?=\s+[A-Za-z]+=|$)/.exec(line)?.[1];
    out.push({ id, state: s.state, reason: reasonOf(reason), ...exitOf(field('ExitCode')), source: 'scontrol' });
  }
  return out;
}

/**
 * The output of SLURM_JOB_STATE_SCRIPT: "@@squeue", "@@sacct" and "@@scontrol" sections (sacct and scontrol only
 * when squeue no longer shows the job alive). Also accepts a plain "STATE|REASON" line (non-SLURM runtimes print
 * one). Returns the job's status, with the exit code filled in from sacct/scontrol when squeue has only the state;
 * undefined when no command knows the job.
 */
export function parseJobStateOutput(text: string): SlurmJobStatus | undefined {
  if (!text.includes('@@squeue')) {
    const [st, reason] = (text.trim().split('\n')[0] ?? '').split('|');
    const s = slurmState(st ?? '');
    return s ? { id: '', state: s.state, reason: reasonOf(reason), source: 'plain' } : undefined;
  }
  const sections = new Map<string, string>();
  let cur = '';
  for (const line of text.split('\n')) {
    const m = /^@@(squeue|sacct|scontrol)$/.exec(line);
    if (m) {
      cur = m[1];
      sections.set(cur, '');
    } else if (cur) sections.set(cur, `${sections.get(cur)}${line}\n`);
  }
  const sq = combineJobStatuses(parseSqueueLines(sections.get('squeue') ?? ''));
  const sa = combineJobStatuses(parseSacctLines(sections.get('sacct') ?? ''));
  const sc = combineJobStatuses(parseScontrolJobs(sections.get('scontrol') ?? ''));
  // squeue is the live view; a job it shows alive is alive. Once ended (or gone), sacct has the final record and
  // scontrol the controller's (kept MinJobAge seconds, default 300), with exit codes squeue does not print.
  if (sq && sq.state.phase !== 'ended') return sq;
  const final = sa && sa.state.phase === 'ended' ? sa : sc && sc.state.phase === 'ended' ? sc : undefined;
  if (sq && final) return { ...final, id: sq.id, reason: final.reason ?? sq.reason };
  if (sq) return { ...sq, exitCode: sa?.exitCode ?? sc?.exitCode, signal: sa?.signal ?? sc?.signal };
  return sa ?? sc;
}

/** Rank for combining array tasks / het components: an end that failed outranks running, running outranks pending. */
const rank = (s: SlurmJobStatus): number => (s.state.phase === 'ended' ? (s.state.success ? 1 : 5) : s.state.phase === 'running' ? 4 : s.state.phase === 'paused' ? 3 : s.state.phase === 'starting' ? 2 : 0);

/**
 * One status for a job that SLURM lists as several lines (array tasks, heterogeneous components): a failed part
 * decides (the server cannot be whole), then running, paused, starting, pending; COMPLETED only when every part is.
 */
export function combineJobStatuses(list: readonly SlurmJobStatus[]): SlurmJobStatus | undefined {
  if (list.length === 0) return undefined;
  if (list.every((s) => s.state.phase === 'ended')) return list.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  const live = list.filter((s) => !(s.state.phase === 'ended' && s.state.success));
  return live.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}

/** "FAILED, exit code 1", "CANCELLED by 1000", "OUT_OF_MEMORY, signal 9", "TIMEOUT (TimeLimit)". */
export function describeJobEnd(s: SlurmJobStatus): string {
  const parts = [`${s.state.name}${s.cancelledBy ? ` by ${s.cancelledBy}` : ''}`];
  if (s.exitCode !== undefined && (s.exitCode !== 0 || !s.signal)) parts.push(`exit code ${s.exitCode}`);
  if (s.signal) parts.push(`signal ${s.signal}`);
  const why = s.reason && !['NonZeroExitCode'].includes(s.reason) ? ` (${s.reason})` : '';
  return `${parts.join(', ')}${why}: ${s.state.meaning}`;
}

/**
 * The remote script (sh) that prints a job's status for parseJobStateOutput; $1 is the file holding the sbatch
 * --parsable answer ("ID" or "ID;cluster"). One round trip: squeue first; sacct and scontrol only when squeue does
 * not show the job alive (gone from the queue, or ended: CG/CD/F/CA/TO/…), for the final state and exit code.
 */
export const SLURM_JOB_STATE_SCRIPT = [
  'id=$(cut -d";" -f1 "$1")',
  'q=$(squeue -h -t all -j "$id" -o "%i|%T|%r" 2>/dev/null)',
  'echo @@squeue; [ -n "$q" ] && printf "%s\\n" "$q"',
  'case "$q" in *"|PENDING|"*|*"|RUNNING|"*|*"|CONFIGURING|"*|*"|SUSPENDED|"*|*"|STOPPED|"*|*"|RESIZING|"*|*"|SIGNALING|"*|*"|REQUEUED|"*|*"|REQUEUE_HOLD|"*|*"|REQUEUE_FED|"*|*"|RESV_DEL_HOLD|"*) exit 0 ;; esac',
  'echo @@sacct; sacct -n -P -X -j "$id" -o JobID,State,ExitCode,Reason 2>/dev/null',
  'echo @@scontrol; scontrol show job -o "$id" 2>/dev/null',
  'exit 0',
].join('\n');
