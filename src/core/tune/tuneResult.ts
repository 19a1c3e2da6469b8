/**
 * The result of a tuning run (`deepseek-deploy tune SPEC.yaml --json`, and `tune.json` in the run's folder): every
 * candidate configuration the search space produced, what the planner said of it, every benchmark run made against
 * it, the highest load that met the SLOs, its cost and energy, and the chosen configuration with the reason.
 *
 * Files of one run (all under the workspace or the CLI's working directory):
 *   .deepseek/tuning/<runId>/tune.json           this object (rewritten after every benchmark run: resume reads it)
 *   .deepseek/tuning/<runId>/runs/<runFile>      each benchmark run as a normal benchmark result (resultJson of
 *                                                src/core/bench/report.ts, vLLM's keys + deepseek_deploy), so the
 *                                                benchmark results view opens it like any other result
 * `TuneRun.resultFile` is relative to the run's folder.
 */

/** The key the load search turns: a request rate (req/s, Poisson arrivals) or a number of concurrent requests. */
export type LoadKind = 'rate' | 'concurrency';

/** Statistic of an SLO: a percentile of the per-request metric (numpy linear) or its mean, in ms. */
export type SloStat = 'p99' | 'p90' | 'p95' | 'p50' | 'mean';
/** Per-request latency metrics an SLO can bound (vLLM's definitions; TTFO = time to first answer token after thinking). */
export type SloMetric = 'ttft' | 'tpot' | 'itl' | 'e2el' | 'ttfo';

/** One SLO as written in the spec: `stat` of `metric` must be ≤ `maxMs`. */
export interface Slo {
  readonly metric: SloMetric;
  readonly stat: SloStat;
  readonly maxMs: number;
}

/** One SLO checked against one run. */
export interface SloCheck extends Slo {
  /** The measured statistic (ms); null when no request of the run produced this metric (e.g. TTFO without thinking). */
  readonly valueMs: number | null;
  /**
   * Two-sided confidence interval of the statistic at `TuneResult.confidence.level` (ms): for percentiles the
   * distribution-free order-statistic interval (binomial ranks), for the mean a normal interval. null when unknown.
   */
  readonly ciMs: readonly [number, number] | null;
  readonly pass: boolean;
}

/** One benchmark run of a candidate at one load point (a repeat of the same point is its own run). */
export interface TuneRun {
  /** Stable id within the tuning run: `<candidateId>/<kind>-<value>/<repeat>`; resume skips ids already present. */
  readonly id: string;
  readonly load: { readonly kind: LoadKind; readonly value: number };
  /** 0 for the first measurement of a point, 1… for repeats made to narrow the p99's confidence interval. */
  readonly repeat: number;
  /** What the search did with it: the doubling phase, the bisection, a re-measure, or the warm-up. */
  readonly phase: 'double' | 'bisect' | 'repeat' | 'verify';
  /** The benchmark result file, relative to the run folder (runs/<file>.json). */
  readonly resultFile: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly completed: number;
  readonly failed: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Request throughput (req/s). */
  readonly requestThroughput: number;
  /** vLLM's request goodput (req/s of requests within the TTFT/TPOT/E2EL SLO thresholds); null without such SLOs. */
  readonly goodputRequestsPerSec: number | null;
  /** Output token throughput of the whole server (tok/s). */
  readonly outputTokPerSec: number;
  /** Output tok/s divided by the configuration's GPUs (Pareto x-axis, as vLLM's plot_pareto). */
  readonly outputTokPerSecPerGpu: number;
  /** Output tok/s seen by one user: 1000 / mean TPOT (Pareto y-axis, as vLLM's plot_pareto). null without TPOT. */
  readonly outputTokPerSecPerUser: number | null;
  /** Every SLO of the spec, checked on this run (the point's pooled samples when it was repeated). */
  readonly slo: readonly SloCheck[];
  /** All SLOs met (and no failed request). */
  readonly sloPass: boolean;
  /** Energy over the run from nvidia-smi power.draw (J, all GPUs); null when the host has no nvidia-smi. */
  readonly energyJ: number | null;
  /** Power samples taken during the run. */
  readonly powerSamples: number;
}

/** One configuration of the search space. */
export interface TuneCandidate {
  /** Stable id (`c0`, `c1`, … in search-space order); also part of the launched profile's name. */
  readonly id: string;
  /** The search-space values of this configuration, by spec key (e.g. {"parallel": "tp8", "maxNumSeqs": 128}). */
  readonly params: Readonly<Record<string, string | number | boolean | null>>;
  /** Name of the profile launched for it (base profile name + candidate id). */
  readonly profileName: string;
  /** GPUs it occupies (tp × dp × pp). */
  readonly gpus: number;
  /** The planner's verdict (src/core/plan/profileFit.ts); false ones are never launched. */
  readonly fits: boolean;
  /** The planner's summary: why it does not fit, or the KV capacity it leaves. */
  readonly fitReason: string;
  /** Where the search stands for this candidate. */
  readonly status: 'pending' | 'skipped-misfit' | 'skipped-budget' | 'running' | 'done' | 'failed' | 'cancelled';
  /** Why it failed or was skipped (launch error, budget reached). */
  readonly error?: string;
  /** The highest load that met every SLO; null when even the lowest load failed (or the candidate never ran). */
  readonly maxLoadMeetingSlo: { readonly kind: LoadKind; readonly value: number } | null;
  /** Requests per second meeting the SLOs, per GPU, at maxLoadMeetingSlo (vLLM's request goodput / GPUs). */
  readonly goodputPerGpu: number | null;
  /** Output tok/s per GPU at maxLoadMeetingSlo. */
  readonly outputTokPerSecPerGpu: number | null;
  /** $ per million output tokens at maxLoadMeetingSlo: price/GPU-h × GPUs × duration / output tokens. */
  readonly usdPerMTokOutput: number | null;
  /** $ per million tokens, input and output together, at maxLoadMeetingSlo. */
  readonly usdPerMTokTotal: number | null;
  /** J per output token at maxLoadMeetingSlo (∫ power dt over the run / output tokens); null without nvidia-smi. */
  readonly joulesPerOutputToken: number | null;
  /** Every run made against it, in the order made. */
  readonly runs: readonly TuneRun[];
  /** Seconds spent launching it (prepare → ready), and stopping it. */
  readonly launchS?: number;
}

/** The objective the best configuration maximises (or, for cost, minimises). */
export type TuneObjective = 'goodputPerGpu' | 'outputTokPerSecPerGpu' | 'usdPerMTok';

/** A tuning run, as saved in tune.json and printed by `tune --json`. */
export interface TuneResult {
  readonly version: 1;
  /** Folder name under .deepseek/tuning/. */
  readonly runId: string;
  /** The spec file (absolute path) and its name. */
  readonly specFile: string;
  readonly specName: string;
  /** The base profile's name (what "Apply to profile" writes back to) and its file when it came from one. */
  readonly baseProfile: { readonly name: string; readonly file: string | null };
  readonly objective: TuneObjective;
  readonly slos: readonly Slo[];
  readonly pricePerGpuHour: number;
  /** The statement of confidence used to decide a point: its SLO statistics known within this. */
  readonly confidence: { readonly level: number; readonly relativeWidth: number; readonly maxRepeats: number };
  /** True when any server was the simulator (every run's result also says so). */
  readonly simulated: boolean;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly state: 'running' | 'done' | 'cancelled' | 'failed' | 'budget';
  readonly candidates: readonly TuneCandidate[];
  /** The chosen configuration (one of `candidates`), null when none met the SLOs. */
  readonly best: TuneCandidate | null;
  /** Why `best` was chosen (objective value, runner-up and margin), or why none was. */
  readonly bestReason: string;
  /** Where the time went (s): launching servers, benchmark traffic, and the tuner itself (everything else). */
  readonly timing: { readonly wallS: number; readonly launchS: number; readonly benchS: number; readonly overheadS: number };
  /** Launches made so far (budget.maxLaunches counts these). */
  readonly launches: number;
}

/** Progress events of runTune, for the CLI's lines and the view's progress bar. */
export type TuneProgress =
  | { readonly kind: 'plan'; readonly candidates: number; readonly fitting: number }
  | { readonly kind: 'launch'; readonly candidate: string; readonly detail: string }
  | { readonly kind: 'ready'; readonly candidate: string; readonly url: string; readonly adopted: boolean }
  | { readonly kind: 'run'; readonly candidate: string; readonly run: TuneRun; readonly reused: boolean }
  | { readonly kind: 'candidate'; readonly candidate: TuneCandidate }
  | { readonly kind: 'note'; readonly message: string };

/** Folder of a tuning run, relative to the workspace / working directory. */
export const tuningRunDir = (runId: string): string => `.deepseek/tuning/${runId}`;
