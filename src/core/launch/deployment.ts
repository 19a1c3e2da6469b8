import { classifyLogLine, type LogEvent } from '../engines/logWatch';
import { STEP_TIMEOUT_MS, type LaunchPlan, type RemoteStep } from '../runtimes/launchPlan';
import { describeJobEnd, parseJobStateOutput } from '../runtimes/slurmJobState';
import { readCappedBody } from '../openai/cappedBody';
import { httpErrorText, httpRequest } from '../openai/httpRequest';
import { listModels, ModelsError } from '../openai/models';
import { errorBodyMessage } from '../openai/errorBody';

/** Runs argv on the deployment's host (over the pooled SSH connection, or locally) with the same semantics. */
export interface CommandRunner {
  exec(argv: readonly string[], o: { stdin?: string; onStdout?: (s: string) => void; onStderr?: (s: string) => void; timeoutMs?: number; signal?: AbortSignal }): Promise<{ code: number | null; signal?: string; stdout: string; stderr: string }>;
}

export type DeploymentState = 'starting' | 'queued' | 'loading' | 'listening' | 'verifying' | 'ready' | 'failed' | 'stopped';

export interface DeploymentEvents {
  onLog?(line: string): void;
  onEvent?(ev: LogEvent): void;
  onState?(state: DeploymentState, detail?: string): void;
}

export class DeploymentError extends Error {
  constructor(message: string, readonly remedy?: string, readonly suggestedMaxModelLen?: number, readonly lastLines: readonly string[] = []) {
    super(message);
    this.name = 'DeploymentError';
  }
}

export interface StartOptions {
  /** Makes host:port (as seen from the SSH host) reachable from here (a tunnel, or the local port); returns the base URL. */
  readonly reach: (port: number, host: string) => Promise<string>;
  /** Start-up deadline (ms): gives up if not ready by then (from the model catalog: weights size and warm-ups). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Server API key, if the profile sets one. */
  readonly apiKey?: string;
}


/** Longest log line kept (64 KiB of text): memory for following a log stays bounded whatever the engine prints. */
const MAX_LOG_LINE = 64 * 1024;
/**
 * One launched server: runs the plan's start steps, follows the log (resuming after a dropped connection without
 * losing or repeating lines), turns log lines into progress and diagnoses, and calls it ready only after the ready
 * line, a successful GET /v1/models and a 1-token completion through the reachable URL. Never sleeps to guess.
 */
export class Deployment {
  private readonly lines: string[] = [];
  private completeLines = 0;
  private stopping = false;
  private readonly follow = new AbortController();
  url: string | undefined;
  state: DeploymentState = 'starting';

  constructor(readonly plan: LaunchPlan, private readonly run: CommandRunner, private readonly events: DeploymentEvents = {}) {}

  get log(): readonly string[] {
    return this.lines;
  }

  private onLine(line: string, react: (ev: LogEvent) => void): void {
    this.lines.push(line.length > MAX_LOG_LINE ? `${line.slice(0, MAX_LOG_LINE)} […]` : line);
    if (this.lines.length > 20_000) this.lines.splice(0, 5000);
    this.events.onLog?.(line);
    const ev = classifyLogLine(line, this.plan.flavor);
    if (!ev) return;
    this.events.onEvent?.(ev);
    react(ev);
  }

  private setState(s: DeploymentState, detail?: string): void {
    this.state = s;
    this.events.onState?.(s, detail);
  }

  private async step(s: RemoteStep): Promise<void> {
    const r = await this.run.exec(s.argv, { stdin: s.stdin, timeoutMs: 120_000 });
    if (r.code !== 0) {
      const all = (r.stderr || r.stdout).trim();
      const why = all.split('\n').slice(-3).join(' | ');
      throw new DeploymentError(`${s.description} failed (exit ${r.code ?? r.signal ?? '?'}): ${why}`, diagnoseStepFailure(all));
    }
  }

  async start(o: StartOptions): Promise<string> {
    try {
      return await this.startAndVerify(o);
    } finally {
      // Ready or not, nothing of ours keeps following the log (`tail -F`, `docker logs -f`, `bash -s`) after start:
      // aborting stops each follower's process group on the host (see remoteScript.ts).
      this.follow.abort();
    }
  }

  private async startAndVerify(o: StartOptions): Promise<string> {
    this.setState('starting');
    for (const s of this.plan.start) await this.step(s);
    this.setState('loading');
    const deadline = Date.now() + o.timeoutMs;
    const minutes = Math.round(o.timeoutMs / 60_000);
    const notReady = (): DeploymentError => new DeploymentError(`Not ready after ${minutes} min.`, 'Check the log; loading 671B weights from a slow disk can take long: raise the start-up deadline (--timeout-min).', undefined, this.lines.slice(-20));
    let fatal: LogEvent & { kind: 'fatal' } | undefined;
    let sawReady = false;
    /** Set once the engine (process or batch job) has ended: readiness stops waiting for it. */
    let ended: string | undefined;
    const onAbort = (): void => this.follow.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const endedError = (): DeploymentError => fatal
      ? new DeploymentError(fatal.message, fatal.remedy, fatal.suggestedMaxModelLen, this.lines.slice(-20))
      : new DeploymentError(`The ${this.plan.profile.runtime.kind === 'slurm' ? 'SLURM job' : this.plan.profile.runtime.kind === 'kubernetes' ? 'engine pod' : 'engine'} ended (${ended ?? 'exited'}) before the server was ready.`, `See ${this.plan.logLocation} for the cause.`, undefined, this.lines.slice(-20));
    // Follow the log until it says ready (or fails); the stream is re-opened where it stopped if the connection drops.
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => finish(notReady()), Math.max(0, deadline - Date.now()));
      const finish = (e?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      // Lines are counted by "\n" (what the resumed stream skips); tqdm's "\r" segments are shown as they come, and
      // the segments of a line cut by a dropped stream are taken back, since the resumed stream repeats that line.
      let tail = '';
      let pendingSegments = 0;
      const onText = (text: string): void => {
        const all = tail + text;
        const re = /([^\r\n]*)(\r\n|\r|\n)/g;
        let m: RegExpExecArray | null;
        let consumed = 0;
        while ((m = re.exec(all)) !== null) {
          consumed = re.lastIndex;
          if (m[1]) {
            pendingSegments++;
            this.onLine(m[1], (ev) => {
              if (ev.kind === 'listening') this.setState('listening', ev.url);
              if (ev.kind === 'fatal' && !fatal) {
                fatal = ev;
                // Engines exit after these; a followed file (tail -F) never ends, so do not wait for the stream to.
                const f = ev;
                setTimeout(() => finish(new DeploymentError(f.message, f.remedy, f.suggestedMaxModelLen, this.lines.slice(-20))), 5000).unref();
              }
              if (ev.kind === 'ready') {
                sawReady = true;
                finish();
              }
            });
          }
          if (m[2].includes('\n')) {
            this.completeLines++;
            pendingSegments = 0;
          }
        }
        tail = all.slice(consumed);
        // A log line that never ends (a broken or hostile engine) keeps only its last 64 KiB: the buffer stays
        // bounded and each chunk re-scans at most that much, so following stays linear in what arrives.
        if (tail.length > MAX_LOG_LINE) tail = tail.slice(-MAX_LOG_LINE);
      };
      const dropPartialLine = (): void => {
        if (pendingSegments) this.lines.splice(this.lines.length - pendingSegments, pendingSegments);
        pendingSegments = 0;
        tail = '';
      };
      const followOnce = async (attempt: number): Promise<void> => {
        if (settled || this.follow.signal.aborted) return;
        const from = this.completeLines;
        try {
          await this.run.exec(this.plan.logs(from), { onStdout: onText, onStderr: onText, timeoutMs: 0, signal: this.follow.signal });
        } catch {
          /* a dropped connection: resume below */
        }
        // The stream ended. A partial last line was not counted and will come again, whole, from the resumed stream.
        dropPartialLine();
        if (settled || this.follow.signal.aborted) return;
        if (fatal || ended) {
          finish(endedError());
          return;
        }
        if (attempt > 30) {
          finish(new DeploymentError('The server log ended before the engine was ready.', 'The engine process exited; see the last log lines.', undefined, this.lines.slice(-20)));
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
        await followOnce(attempt + 1);
      };
      void followOnce(0);
      // Batch jobs and background processes: show why a job is pending, and fail fast if it ends before it is ready.
      if (this.plan.jobState) {
        const jobArgv = this.plan.jobState;
        const isSlurm = this.plan.profile.runtime.kind === 'slurm';
        let unknown = 0;
        const poll = async (): Promise<void> => {
          while (!settled && !this.follow.signal.aborted) {
            const r = await this.run.exec(jobArgv, { timeoutMs: 30_000 }).catch(() => undefined);
            const job = r ? (this.plan.parseJobState ?? parseJobStateOutput)(r.stdout) : undefined;
            unknown = r && r.code === 0 && !job ? unknown + 1 : 0;
            if (job?.state.phase === 'pending') this.setState('queued', job.reason);
            else if (job?.state.phase === 'starting') this.setState('queued', `${job.state.name}: ${job.state.meaning}`);
            else if (job?.state.phase === 'paused') this.setState('queued', `${job.state.name}: ${job.state.meaning}`);
            else if (job?.state.phase === 'running' && this.state === 'queued') this.setState('loading');
            else if (job?.state.phase === 'ended' || (isSlurm && unknown >= 3)) {
              // Give the log a moment to deliver the engine's own error, which says more than the job state.
              await new Promise((res) => setTimeout(res, 1500));
              const what = !job ? 'left the queue, and neither sacct nor scontrol knows it any more' : isSlurm ? `ended: ${describeJobEnd(job)}` : this.plan.parseJobState ? `failed: ${job.state.name} (${job.state.meaning})${job.reason ? `: ${job.reason}` : ''}` : `ended (${job.state.name}${job.reason ? `, ${job.reason}` : ''})`;
              ended = what;
              finish(fatal ? new DeploymentError(fatal.message, fatal.remedy, fatal.suggestedMaxModelLen, this.lines.slice(-20)) : new DeploymentError(`The ${isSlurm ? `SLURM job${job?.id ? ` ${job.id}` : ''}` : this.plan.parseJobState && job?.id ? `pod ${job.id}` : 'engine'} ${what} before the server was ready.`, `See ${this.plan.logLocation} for the cause.`, undefined, this.lines.slice(-20)));
              return;
            }
            await new Promise((res) => setTimeout(res, 1000));
          }
        };
        void poll();
      }
      this.follow.signal.addEventListener('abort', () => finish(new DeploymentError('Launch cancelled.')), { once: true });
    }).finally(() => o.signal?.removeEventListener('abort', onAbort));
    if (!sawReady) throw new DeploymentError('not ready');
    // Ready lines can come from a server that cannot serve yet (SGLang warms up after binding; an earlier run's log):
    // verify for real, through the URL the user will use.
    this.setState('verifying');
    let host = '127.0.0.1';
    if (this.plan.serverAddress) {
      const r = await this.run.exec(this.plan.serverAddress, { timeoutMs: 30_000 });
      if (r.code === 0 && r.stdout.trim()) host = r.stdout.trim().split('\n')[0];
    }
    const url = await o.reach(this.plan.port, host);
    const model = await this.waitForModels(url, o.apiKey, deadline, o.signal, notReady);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) };
    // httpRequest, not fetch: fetch refuses "bad ports" (6000, 10080, …) an engine may be told to use. A 1-token answer
    // is under 1 KiB; the error shown keeps 2000 characters, so 64 KiB is read at most, whatever the server sends.
    const timeout = AbortSignal.timeout(60_000);
    const failed = (e: unknown): DeploymentError => new DeploymentError(`The 1-token test request failed: ${timeout.aborted ? 'no answer in 60 s' : httpErrorText(e)}`, undefined, undefined, this.lines.slice(-20));
    const one = await httpRequest(`${url}/v1/completions`, { method: 'POST', headers, body: JSON.stringify({ model, prompt: 'ping', max_tokens: 1 }), signal: timeout }).catch((e: unknown) => {
      throw failed(e);
    });
    const oneBody = (
      await readCappedBody(one.body, 64 * 1024).catch((e: unknown) => {
        throw failed(e);
      })
    ).text.slice(0, 2000);
    if (one.statusCode !== 200) throw new DeploymentError(`The 1-token test request failed: HTTP ${one.statusCode} ${errorBodyMessage(oneBody)}`, undefined, undefined, this.lines.slice(-20));
    this.url = url;
    this.setState('ready', url);
    return url;
  }

  /**
   * GET /v1/models until it answers 200 with a model (SGLang answers 503 while it warms up), the engine exits
   * (checked with the plan's jobState every few tries), or the start-up deadline passes.
   */
  private async waitForModels(url: string, apiKey: string | undefined, deadline: number, signal: AbortSignal | undefined, notReady: () => DeploymentError): Promise<string> {
    let last: string;
    for (let i = 0; ; i++) {
      if (signal?.aborted) throw new DeploymentError('Launch cancelled.');
      try {
        return (await listModels(url, apiKey, 5000)).models[0];
      } catch (e) {
        last = (e as Error).message;
        if (e instanceof ModelsError && (e.status === 401 || e.status === 403)) throw new DeploymentError(last, 'Set the server API key (knobs.apiKeySecret) the engine was started with.', undefined, this.lines.slice(-20));
      }
      if (Date.now() > deadline) throw notReady();
      if (this.plan.jobState && i % 8 === 7) {
        const r = await this.run.exec(this.plan.jobState, { timeoutMs: 30_000 }).catch(() => undefined);
        const job = r ? (this.plan.parseJobState ?? parseJobStateOutput)(r.stdout) : undefined;
        if (job?.state.phase === 'ended') throw new DeploymentError(`The engine logged ready, then ended (${job.state.name}) while ${url}/v1/models answered: ${last}`, `See ${this.plan.logLocation}.`, undefined, this.lines.slice(-20));
      }
      // Short at first (a simulator is ready in milliseconds), at most 2 s apart for a real engine's warm-up.
      await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** Math.min(i, 6))));
      if (i === 60 && !this.plan.jobState) throw new DeploymentError(`The engine logged ready but ${url}/v1/models does not answer: ${last}`, 'Check the port mapping / network mode and that nothing else holds the port.', undefined, this.lines.slice(-20));
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.follow.abort();
    for (const s of this.plan.stop) await this.run.exec(s.argv, { timeoutMs: s.timeoutMs ?? STEP_TIMEOUT_MS }).catch(() => undefined);
    this.setState('stopped');
  }
}

function diagnoseStepFailure(text: string): string | undefined {
  if (/Unable to find image|pull access denied|manifest unknown|not found: manifest|registry-1\.docker\.io|No such image/i.test(text)) return 'The image is not on the host and could not be pulled: check the image name/tag, `docker login`, or pull it first.';
  if (/could not select device driver .* capabilities: \[\[gpu\]\]/.test(text)) return 'Docker cannot give GPUs to containers: install the NVIDIA Container Toolkit on the host and restart dockerd.';
  if (/Cannot connect to the Docker daemon|permission denied.*docker\.sock/i.test(text)) return 'Docker is not running or your user may not use it: start dockerd or add the user to the docker group.';
  if (/command not found|not found$/m.test(text) && /sbatch/.test(text)) return 'SLURM\'s sbatch is not on PATH for non-interactive logins on this host.';
  if (/docker-compose: not found|unknown command "compose"/.test(text)) return 'Neither `docker compose` (v2) nor `docker-compose` (v1) is installed on the host.';
  if (/Invalid (partition|account)|Requested node configuration is not available|Invalid generic resource/i.test(text)) return 'SLURM rejected the job: check partition, account, --gres and node counts against `sinfo`.';
  return undefined;
}
