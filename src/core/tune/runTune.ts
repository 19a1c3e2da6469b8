import * as fs from 'node:fs';
import * as path from 'node:path';
import { attachServer, gpuSpecFromProbe, listManagedServers, openHost, prepareLaunch, recordHandle, startLaunch, type LaunchHandle, type PipelineDeps } from '../launch/launchPipeline';
import { serverId } from '../launch/serverRecords';
import { parseGpuSpec, type GpuSpec } from '../plan/catalog';
import type { Profile } from '../profiles/profileSchema';
import { runBenchmark, type BenchConfig } from '../bench/runBenchmark';
import { resultFileText, resultJson } from '../bench/report';
import { BENCH_PRESETS } from '../bench/presets';
import { customRequests, sharegptRequests } from '../bench/fileDatasets';
import type { Goodput } from '../bench/metrics';
import type { TuneSpec } from './tuneSpec';
import type { LoadKind, TuneCandidate, TuneProgress, TuneResult, TuneRun } from './tuneResult';
import { planCandidates, type PlannedCandidate } from './tuneCandidates';
import { nextLoad } from './loadSearch';
import { addSamples, checkSlo, emptySamples, verdictKnown, type PointSamples } from './sloStats';
import { runEnergy, startPowerSampling, type PowerSampling } from './powerSampler';
import { openTuneStore, samplesFromResult } from './tuneStore';
import { candidateFigures, chooseBest } from './tuneCost';

/** What runTune needs from its caller (the CLI or the extension). */
export interface TuneDeps {
  /** The one launch pipeline's dependencies (records, SSH, the local simulator command). */
  readonly pipeline: PipelineDeps;
  /** The base profile, already loaded (file, preset or inline) by the caller. */
  readonly baseProfile: Profile;
  /** The base profile's file, when it came from one ("Apply to profile" writes there). */
  readonly baseProfileFile?: string;
  /** The spec file (absolute): recorded in the result; dataset paths are relative to its folder. */
  readonly specFile: string;
  /** Folder that holds `.deepseek/tuning/<runId>/` (the workspace folder, or the CLI's working directory). */
  readonly rootDir: string;
  /** Secrets for the engine (never written to results: redacted by saveResultFile). */
  readonly hfToken?: string;
  readonly apiKey?: string;
}

export interface TuneOptions {
  /** Cancel: stops sending, stops the server this run started, saves what finished (state "cancelled"). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TuneProgress) => void;
  /** Continue the run saved under `.deepseek/tuning/<runId>/` (true: the newest run of this spec name). */
  readonly resume?: boolean | { readonly runId: string };
}

/** The simulator's default GPUs (`simulate --gpus`), which the planner assumes for simulator profiles too. */
const SIMULATOR_GPUS = '8xH200-141GB';

/** GPUs per node the planner judges candidates on: the spec's, the simulator's, or what the host probe finds. */
async function plannerGpus(spec: TuneSpec, base: Profile, deps: TuneDeps): Promise<GpuSpec> {
  if (spec.gpus) return parseGpuSpec(spec.gpus);
  if (base.engine.kind === 'simulator') return parseGpuSpec(SIMULATOR_GPUS);
  const probe = await openHost(spec.host ?? base.host, deps.pipeline).probe();
  const g = gpuSpecFromProbe(probe);
  if (!g) throw new Error(`no known GPUs found on ${spec.host ?? base.host} (${probe.gpuError ?? 'nvidia-smi listed none'}); set gpus: in the spec (e.g. 8xH200-141GB)`);
  return g;
}

type MutableCandidate = { -readonly [K in keyof TuneCandidate]: TuneCandidate[K] } & { runs: TuneRun[] };

/**
 * Tunes a deployment: plans every configuration of the search space (misfits are never launched), launches each
 * remaining one through the launch pipeline (one server per configuration; only the load changes between its runs),
 * searches the highest load meeting the SLOs (double, then bisect; a point is re-run until its SLO statistics are
 * known at the spec's confidence), and returns the TuneResult, saved after every run so `resume` repeats no finished
 * run. Throws only for an invalid search space, an unreachable planner host or an unwritable folder; launch failures
 * are recorded on their candidate. Cancel (signal) stops the server this call started or adopted.
 */
export async function runTune(spec: TuneSpec, deps: TuneDeps, opts: TuneOptions = {}): Promise<TuneResult> {
  const wall0 = performance.now();
  const emit = (p: TuneProgress): void => opts.onProgress?.(p);
  const store = openTuneStore(deps.rootDir, spec.name, opts.resume);
  const prev = store.previous;
  const base = deps.baseProfile;
  const sim = base.engine.kind === 'simulator';
  const planned = planCandidates(spec, base, await plannerGpus(spec, base, deps));
  const kind: LoadKind = spec.load.kind;
  const resolution = spec.load.resolution ?? (kind === 'rate' ? 0.1 : 1);
  const savedRuns = new Map<string, TuneRun>();
  if (prev) {
    for (const c of prev.candidates) {
      const now = planned.find((p) => p.id === c.id);
      if (!now || JSON.stringify(now.params) !== JSON.stringify(c.params)) throw new Error(`the spec's search space changed since run ${store.runId} (candidate ${c.id}); start a new run instead of resuming`);
      for (const r of c.runs) savedRuns.set(r.id, r);
    }
  }
  const candidates: MutableCandidate[] = planned.map((p) => ({
    id: p.id, params: p.params, profileName: p.profile.name, gpus: p.gpus, fits: p.fits, fitReason: p.fitReason,
    status: p.fits ? 'pending' : 'skipped-misfit', maxLoadMeetingSlo: null, goodputPerGpu: null, outputTokPerSecPerGpu: null,
    usdPerMTokOutput: null, usdPerMTokTotal: null, joulesPerOutputToken: null, runs: [],
  }));
  emit({ kind: 'plan', candidates: candidates.length, fitting: candidates.filter((c) => c.fits).length });
  const startedAt = prev?.startedAt ?? new Date().toISOString();
  const prevWall = prev?.timing.wallS ?? 0;
  let launchS = prev?.timing.launchS ?? 0;
  let benchS = prev?.timing.benchS ?? 0;
  let launches = prev?.launches ?? 0;
  let state: TuneResult['state'] = 'running';
  const secrets = [deps.apiKey, deps.hfToken];
  const snapshot = (finished: boolean): TuneResult => {
    const wallS = prevWall + (performance.now() - wall0) / 1000;
    const best = finished ? chooseBest(candidates, spec.objective) : { best: null, reason: 'the search is still running' };
    return {
      version: 1, runId: store.runId, specFile: deps.specFile, specName: spec.name,
      baseProfile: { name: base.name, file: deps.baseProfileFile ?? null }, objective: spec.objective, slos: spec.slo,
      pricePerGpuHour: spec.pricePerGpuHour, confidence: spec.confidence, simulated: sim, startedAt,
      finishedAt: finished ? new Date().toISOString() : null, state, candidates: candidates.map((c) => ({ ...c, runs: [...c.runs] })),
      best: best.best, bestReason: best.reason,
      timing: { wallS, launchS, benchS, overheadS: Math.max(0, wallS - launchS - benchS) }, launches,
    };
  };
  const save = (finished = false): TuneResult => {
    const r = snapshot(finished);
    store.saveResult(r, secrets);
    return r;
  };
  save();

  // Servers a killed run left behind: adopted when their candidate still needs runs, stopped otherwise.
  const ours = new Set(planned.map((p) => serverId(spec.host ?? base.host, p.profile.name)));
  const leftovers = new Map(deps.pipeline.records.list().filter((r) => ours.has(r.id)).map((r) => [r.id, r]));
  if (leftovers.size) {
    const hosts = [...new Set([...leftovers.values()].map((r) => r.host))];
    const found = await listManagedServers(hosts, deps.pipeline).catch(() => []);
    for (const id of [...leftovers.keys()]) if (!found.some((s) => s.id === id && s.state === 'running')) leftovers.delete(id);
  }
  const stopLeftovers = async (keep?: string): Promise<void> => {
    for (const [id, rec] of [...leftovers]) {
      if (id === keep) continue;
      leftovers.delete(id);
      emit({ kind: 'note', message: `stopping ${id}, left running by an interrupted run` });
      await recordHandle(rec, deps.pipeline).stop().catch((e: unknown) => emit({ kind: 'note', message: `could not stop ${id}: ${(e as Error).message}` }));
    }
  };

  const signal = opts.signal;
  const overBudget = (): string | undefined => {
    const wallS = prevWall + (performance.now() - wall0) / 1000;
    if (spec.budget.maxWallTimeS !== undefined && wallS >= spec.budget.maxWallTimeS) return `the wall-time budget (${spec.budget.maxWallTimeS} s) is spent`;
    return undefined;
  };
  const workload = workloadOf(spec);
  const goodput = goodputOf(spec);
  const specDir = path.dirname(deps.specFile);

  try {
    for (const cand of candidates) {
      if (!cand.fits) continue;
      const plan = planned.find((p) => p.id === cand.id)!;
      let server: { handle: LaunchHandle; sampler?: PowerSampling; warm: boolean } | undefined;
      const ensureServer = async (): Promise<NonNullable<typeof server>> => {
        if (server) return server;
        const t = performance.now();
        const id = serverId(spec.host ?? base.host, plan.profile.name);
        await stopLeftovers(id);
        const left = leftovers.get(id);
        let handle: LaunchHandle;
        if (left) {
          leftovers.delete(id);
          emit({ kind: 'launch', candidate: cand.id, detail: `adopting ${id}, left running by an interrupted run` });
          handle = await attachServer(left, deps.pipeline);
          emit({ kind: 'ready', candidate: cand.id, url: handle.url, adopted: true });
        } else {
          if (spec.budget.maxLaunches !== undefined && launches >= spec.budget.maxLaunches) throw new BudgetError(`the launch budget (${spec.budget.maxLaunches}) is spent`);
          launches++;
          emit({ kind: 'launch', candidate: cand.id, detail: `launching ${plan.profile.name} (${JSON.stringify(cand.params)})` });
          handle = await launchCandidate(plan, spec, deps, signal, emit);
          emit({ kind: 'ready', candidate: cand.id, url: handle.url, adopted: false });
        }
        launchS += (performance.now() - t) / 1000;
        // SLURM: the GPUs are on the job's nodes, not the host we reach, so its nvidia-smi would measure the wrong GPUs.
        const sampler = spec.energy.enabled && plan.profile.runtime.kind !== 'slurm' ? startPowerSampling(handle.host.runner, spec.energy.intervalMs) : undefined;
        server = { handle, sampler, warm: false };
        return server;
      };
      cand.status = 'running';
      const decided: Array<{ load: number; pass: boolean }> = [];
      try {
        for (;;) {
          const step = nextLoad({ kind, start: spec.load.start, max: spec.load.max, resolution, maxPoints: spec.load.maxPoints, decided });
          if (step.done) break;
          const pooled = emptySamples();
          let pass = false;
          for (let rep = 0; rep <= spec.confidence.maxRepeats; rep++) {
            const runId = `${cand.id}/${kind}-${step.load}/${rep}`;
            let run = savedRuns.get(runId);
            let samples: PointSamples;
            if (run) {
              samples = store.loadSamples(run.resultFile);
              emit({ kind: 'run', candidate: cand.id, run, reused: true });
            } else {
              if (signal?.aborted) throw new CancelledError();
              const why = overBudget();
              if (why) throw new BudgetError(why);
              const s = await ensureServer();
              const measured = await measure({ spec, cand, load: step.load, kind, rep, runId, phase: rep > 0 ? 'repeat' : step.phase, server: s, workload, goodput, specDir, store, secrets, signal, pooled });
              benchS += measured.benchS;
              run = measured.run;
              samples = measured.samples;
              s.warm = true;
              if (signal?.aborted) throw new CancelledError();
            }
            addSamples(pooled, samples);
            cand.runs.push(run);
            save();
            if (!run.slo.length) break;
            if (!savedRuns.has(runId)) emit({ kind: 'run', candidate: cand.id, run, reused: false });
            pass = run.sloPass;
            if (verdictKnown(run.slo, spec.confidence.relativeWidth)) break;
          }
          decided.push({ load: step.load, pass });
        }
        Object.assign(cand, candidateFigures(cand, decided, spec.pricePerGpuHour, kind));
        cand.status = 'done';
      } catch (e) {
        if (e instanceof CancelledError || signal?.aborted) {
          cand.status = 'cancelled';
          state = 'cancelled';
        } else if (e instanceof BudgetError) {
          cand.status = 'skipped-budget';
          cand.error = e.message;
          state = 'budget';
        } else {
          cand.status = 'failed';
          cand.error = (e as Error).message;
          emit({ kind: 'note', message: `${cand.id} failed: ${(e as Error).message}` });
        }
        Object.assign(cand, candidateFigures(cand, decided, spec.pricePerGpuHour, kind));
      } finally {
        if (server) {
          const t = performance.now();
          await server.sampler?.stop();
          await server.handle.stop().catch((e: unknown) => emit({ kind: 'note', message: `stopping ${plan.profile.name} failed: ${(e as Error).message}` }));
          launchS += (performance.now() - t) / 1000;
        }
      }
      emit({ kind: 'candidate', candidate: { ...cand, runs: [...cand.runs] } });
      save();
      if (state === 'cancelled' || state === 'budget') break;
    }
    for (const c of candidates) if (c.status === 'pending') c.status = state === 'budget' ? 'skipped-budget' : 'cancelled';
    await stopLeftovers();
    if (state === 'running') state = 'done';
  } catch (e) {
    state = 'failed';
    save(true);
    throw e;
  }
  return save(true);
}

class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}
class BudgetError extends Error {}

/** Launch through the one pipeline; a simulator gets the spec's speed and GPUs (the planner judged those). */
async function launchCandidate(plan: PlannedCandidate, spec: TuneSpec, deps: TuneDeps, signal: AbortSignal | undefined, emit: (p: TuneProgress) => void): Promise<LaunchHandle> {
  const simOpts = plan.profile.engine.kind === 'simulator'
    ? ['--gpus', spec.gpus ?? SIMULATOR_GPUS, '--speed', String(spec.simulator?.speed ?? 1), ...(spec.simulator?.startupSpeed ? ['--startup-speed', String(spec.simulator.startupSpeed)] : [])]
    : undefined;
  const prep = await prepareLaunch({ profile: plan.profile, hfToken: deps.hfToken, apiKey: deps.apiKey, simulatorOptions: simOpts }, deps.pipeline);
  return startLaunch(prep, deps.pipeline, { signal, events: { onState: (s, d) => emit({ kind: 'launch', candidate: plan.id, detail: `${s}${d ? ` ${d}` : ''}` }) } });
}

interface Workload { inputLen: number; outputLen: number; numPrompts: number; preset?: string }

/** Lengths and prompt count: the spec's, else its benchmark preset's first run, else 1024/128 and 16 prompts. */
function workloadOf(spec: TuneSpec): Workload {
  const w = spec.workload;
  const preset = w.preset ? BENCH_PRESETS.find((p) => p.id === w.preset) : undefined;
  if (w.preset && !preset) throw new Error(`workload.preset: unknown benchmark preset "${w.preset}" (known: ${BENCH_PRESETS.map((p) => p.id).join(', ')})`);
  const r = preset?.runs[0]?.random;
  return { inputLen: w.inputLen ?? r?.inputLen ?? 1024, outputLen: w.outputLen ?? r?.outputLen ?? 128, numPrompts: w.numPrompts ?? r?.numPrompts ?? 16, preset: w.preset };
}

/** vLLM's --goodput thresholds from the SLOs on TTFT/TPOT/E2EL (the tightest of each), so request_goodput counts them. */
function goodputOf(spec: TuneSpec): Goodput {
  const g: Goodput = {};
  for (const s of spec.slo) if (s.metric === 'ttft' || s.metric === 'tpot' || s.metric === 'e2el') g[s.metric] = Math.min(g[s.metric] ?? Infinity, s.maxMs);
  return g;
}

interface MeasureArgs {
  spec: TuneSpec; cand: MutableCandidate; load: number; kind: LoadKind; rep: number; runId: string; phase: TuneRun['phase'];
  server: { handle: LaunchHandle; sampler?: PowerSampling; warm: boolean }; workload: Workload; goodput: Goodput; specDir: string;
  store: ReturnType<typeof openTuneStore>; secrets: ReadonlyArray<string | undefined>; signal?: AbortSignal; pooled: PointSamples;
}

/** One benchmark run at one load point: run, save as a normal result, check the SLOs on the point's pooled samples. */
async function measure(a: MeasureArgs): Promise<{ run: TuneRun; samples: PointSamples; benchS: number }> {
  const w = a.spec.workload;
  const numPrompts = Math.max(a.workload.numPrompts, Math.ceil(a.load * w.promptsPerUnitLoad));
  const seed = w.seed + a.rep;
  const dataset = w.dataset;
  const cfg: BenchConfig = {
    baseUrl: a.server.handle.url,
    backend: w.backend,
    apiKey: a.secrets[0],
    random: { numPrompts, inputLen: a.workload.inputLen, outputLen: a.workload.outputLen, rangeRatio: w.rangeRatio, prefixLen: w.prefixLen, seed },
    requestRate: a.kind === 'rate' ? a.load : Infinity,
    burstiness: 1,
    maxConcurrency: a.kind === 'concurrency' ? a.load : undefined,
    numWarmups: a.server.warm ? 0 : w.warmups,
    ignoreEos: true,
    percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
    metricPercentiles: [50, 90, 95, 99],
    goodput: Object.keys(a.goodput).length ? a.goodput : undefined,
    mode: 'vllm',
    label: `tune-${a.spec.name}-${a.cand.id}`,
    thinking: w.thinking,
    keepText: w.backend === 'openai-chat',
    ...(dataset ? {
      datasetName: dataset.name,
      buildRequests: async ({ tokenizer }) => {
        const text = fs.readFileSync(path.resolve(a.specDir, dataset.path), 'utf8');
        const o = { numPrompts, seed, chat: w.backend === 'openai-chat', disableShuffle: false, noOversample: false, skipChatTemplate: false, customOutputLen: a.workload.outputLen, sonnet: { inputLen: a.workload.inputLen, outputLen: a.workload.outputLen, prefixLen: 0 } };
        return dataset.name === 'sharegpt' ? sharegptRequests(text, o, tokenizer) : customRequests(text, o, tokenizer);
      },
    } : {}),
  };
  const t = performance.now();
  const run = await runBenchmark(cfg, { signal: a.signal });
  const benchS = (performance.now() - t) / 1000;
  const from = run.startedAt.getTime() / 1000;
  const to = from + run.durationS;
  // The power reading after the run's end (one sampling period at most), so the window is covered by readings.
  await a.server.sampler?.waitPast(to, 2 * a.spec.energy.intervalMs + 5000);
  const energyJ = a.server.sampler ? energyOf(a.server.sampler, from, to, a.spec.energy.intervalMs) : null;
  const result = resultJson(run, { profile: a.cand.profileName, preset: a.workload.preset }, { detailed: true, recorded: { tune: { run: a.runId, params: a.cand.params, energy_j: energyJ } } });
  const resultFile = a.store.saveRun(a.runId, result, a.secrets, (r) => resultFileText(r as Record<string, unknown>));
  const samples = samplesFromResult(result);
  const pooled = emptySamples();
  addSamples(pooled, a.pooled);
  addSamples(pooled, samples);
  const slo = a.spec.slo.map((s) => checkSlo(s, pooled, a.spec.confidence.level));
  const m = run.metrics;
  const tpotMean = m.summaries.tpot.mean;
  return {
    benchS,
    samples,
    run: {
      id: a.runId, load: { kind: a.kind, value: a.load }, repeat: a.rep, phase: a.phase, resultFile, startedAt: run.startedAt.toISOString(),
      durationS: run.durationS, completed: m.completed, failed: m.failed, inputTokens: m.totalInput, outputTokens: m.totalOutput,
      requestThroughput: m.requestThroughput, goodputRequestsPerSec: m.requestGoodput, outputTokPerSec: m.outputThroughput,
      outputTokPerSecPerGpu: m.outputThroughput / a.cand.gpus, outputTokPerSecPerUser: tpotMean > 0 ? 1000 / tpotMean : null,
      slo, sloPass: pooled.failed === 0 && slo.every((c) => c.pass), energyJ, powerSamples: a.server.sampler ? a.server.sampler.count(from, to) : 0,
    },
  };
}

function energyOf(s: PowerSampling, from: number, to: number, intervalMs: number): number | null {
  return runEnergy(s.snapshot(), from, to, (2 * intervalMs) / 1000 + 1);
}
