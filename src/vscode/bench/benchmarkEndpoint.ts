import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Endpoint, EndpointStore } from '../../core/endpoints/endpointStore';
import { BENCH_PRESETS, type RunSpec } from '../../core/bench/presets';
import type { BenchConfig } from '../../core/bench/runBenchmark';
import { readStreamLimits } from '../streamSettings';
import type { RunView } from '../../protocol/benchProtocol';
import { loadBenchModule } from '../lazyModules';
import { BenchResultsPanel, benchmarksDir } from './benchResultsPanel';
import type { CustomEndpoints } from '../chat/customEndpoints';
import { redactDeep, redactText } from '../../core/security/redact';
import { resolveResultPath, saveResultFile } from '../../core/bench/resultFiles';
import { estimateRunSeconds, formatEstimate, measuredSpeedOf, stepCostFromMeasurement, type MeasuredSpeed } from '../../core/bench/presetEstimate';
import { CALIBRATIONS } from '../../simulator/calibration';

export interface BenchmarkOutcome {
  readonly files: string[];
  readonly results: Record<string, unknown>[];
  readonly cancelled: boolean;
}

/** Evenly spaced samples: the panel's distribution charts do not need every ITL of a long run. */
function sample(xs: ArrayLike<number>, max: number): number[] {
  const step = Math.max(1, xs.length / max);
  const out: number[] = [];
  for (let i = 0; i < xs.length; i += step) out.push(xs[Math.floor(i)]);
  return out;
}

/**
 * Only a RunSpec's own fields from a spec: the command takes `runs` from any caller (another extension, a test), and a
 * spread of the whole object would let extra fields replace the endpoint's URL or key, or pick `transport: 'undici'`,
 * whose first pool sets a process-wide V8 flag (streamClient.ts newPool) in the shared extension host.
 */
function runSpecFields(spec: RunSpec): RunSpec {
  const { name, random, requestRate, maxConcurrency, ignoreEos, agentic } = spec;
  return { name, random, requestRate, maxConcurrency, ignoreEos, ...(agentic ? { agentic } : {}) };
}

async function customSpec(): Promise<RunSpec | undefined> {
  const shape = await vscode.window.showInputBox({ title: 'Custom benchmark (1/4): input/output tokens', value: '1024/128', validateInput: (v) => (/^\d+\/\d+$/.test(v.trim()) ? undefined : 'Like 1024/128') });
  if (!shape) return undefined;
  const prompts = await vscode.window.showInputBox({ title: 'Custom benchmark (2/4): number of prompts', value: '100', validateInput: (v) => (/^[1-9]\d*$/.test(v) ? undefined : 'A positive integer') });
  if (!prompts) return undefined;
  const conc = await vscode.window.showInputBox({ title: 'Custom benchmark (3/4): max concurrency (empty = no limit)', value: '16', validateInput: (v) => (v === '' || /^[1-9]\d*$/.test(v) ? undefined : 'Empty or a positive integer') });
  if (conc === undefined) return undefined;
  const rate = await vscode.window.showInputBox({ title: 'Custom benchmark (4/4): request rate (req/s, inf = all at once)', value: 'inf', validateInput: (v) => (v === 'inf' || Number(v) > 0 ? undefined : '"inf" or a positive number') });
  if (!rate) return undefined;
  const [i, o] = shape.trim().split('/').map(Number);
  return { name: `custom ${i}/${o} n${prompts}${conc ? ` c${conc}` : ''}`, random: { numPrompts: Number(prompts), inputLen: i, outputLen: o, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: rate === 'inf' ? Infinity : Number(rate), maxConcurrency: conc ? Number(conc) : undefined, ignoreEos: true };
}

/** The last finished run's speed per endpoint (id → speed), for the next picker's estimates. This window only. */
const measured = new Map<string, MeasuredSpeed>();

/**
 * "Benchmark this endpoint": pick a preset (latency, the seed 003 matrix, llmperf-style, a concurrency sweep) or a
 * custom run; each run is vllm bench serve's measurement, saved under .deepseek/benchmarks/ with vLLM's JSON keys,
 * printed as vLLM's block to the output channel, and shown in the results panel. Cancel keeps finished requests.
 */
export function benchmarkEndpointCommand(store: EndpointStore, output: vscode.OutputChannel, custom: CustomEndpoints, extensionUri: vscode.Uri) {
  return async (target?: Endpoint | string, opts?: { preset?: string; runs?: RunSpec[] }): Promise<BenchmarkOutcome | undefined> => {
    let id = typeof target === 'string' ? target : target?.id;
    if (!id) {
      const ready = store.list().filter((e) => e.status === 'ready');
      if (ready.length === 0) {
        void vscode.window.showWarningMessage('DeepSeek: no ready endpoint to benchmark. Run "DeepSeek: Launch Server" or "Add Endpoint…" first.');
        return undefined;
      }
      id = ready.length === 1 ? ready[0].id : (await vscode.window.showQuickPick(ready.map((e) => ({ label: e.label, description: e.baseUrl, id: e.id })), { title: 'Benchmark which endpoint?' }))?.id;
      if (!id) return undefined;
    }
    const ep = store.get(id);
    if (!ep) throw new Error(`unknown endpoint ${id}`);
    let runs = opts?.runs;
    let presetLabel = opts?.preset ?? 'custom';
    if (!runs) {
      const preset = opts?.preset ? BENCH_PRESETS.find((p) => p.id === opts.preset) : undefined;
      if (preset) runs = [...preset.runs];
      else {
        // An estimate before anything starts: from this endpoint's last measured run when there is one, else the
        // calibrated 8×H200 step cost of the endpoint's engine (simulator scale applied).
        const calibrated = ep.engine === 'sglang' ? CALIBRATIONS.sglangH200x8 : CALIBRATIONS.vllmH200x8;
        const speed = measured.get(ep.id);
        const cost = speed ? stepCostFromMeasurement(calibrated, speed) : calibrated;
        const scale = ep.simulated && !speed ? 1 / vscode.workspace.getConfiguration('deepseek.simulator').get<number>('decodeSpeed', 1) : 1;
        const basis = speed ? ' from its measured speed' : ep.simulated ? '' : ' on 8×H200';
        const est = (p: (typeof BENCH_PRESETS)[number]): string => `${formatEstimate(p.runs.reduce((t, r) => t + estimateRunSeconds(r, cost), 0) * scale)}${basis}`;
        const pick = await vscode.window.showQuickPick([...BENCH_PRESETS.map((p) => ({ label: p.label, description: est(p), detail: p.detail, id: p.id })), { label: 'Custom…', detail: 'input/output lengths, prompts, concurrency, request rate', id: 'custom' }], { title: `Benchmark ${ep.label}${ep.simulated ? ' (simulated)' : ''}`, matchOnDetail: true });
        if (!pick) return undefined;
        presetLabel = pick.id;
        if (pick.id === 'custom') {
          const spec = await customSpec();
          if (!spec) return undefined;
          runs = [spec];
        } else runs = [...BENCH_PRESETS.find((p) => p.id === pick.id)!.runs];
      }
    }
    const bench = loadBenchModule();
    const apiKey = await custom.apiKey(ep.id); // launched servers with a key store it under their endpoint id too
    const dir = benchmarksDir();
    const files: string[] = [];
    const results: Record<string, unknown>[] = [];
    const views: RunView[] = [];
    let cancelled = false;
    output.show(true);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Benchmarking ${ep.label}`, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      for (const [k, spec] of runs.entries()) {
        if (abort.signal.aborted) break;
        const cfg: BenchConfig = { baseUrl: ep.baseUrl, backend: 'openai', model: ep.model, apiKey, numWarmups: 0, burstiness: 1, percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'], metricPercentiles: [50, 90, 99], mode: 'vllm', label: spec.name.replace(/[^\w.-]+/g, '-'), sampleServerMetrics: true, limits: readStreamLimits(), ...runSpecFields(spec) };
        progress.report({ message: `${runs.length > 1 ? `run ${k + 1}/${runs.length} · ` : ''}${spec.name}: starting…` });
        let run;
        try {
          run = await bench.runBenchmark(cfg, {
            signal: abort.signal,
            onProgress: (p) => progress.report({ message: `${runs.length > 1 ? `run ${k + 1}/${runs.length} · ` : ''}${spec.name}: ${p.completed + p.failed}/${p.total} · ${p.reqPerS.toFixed(2)} req/s · ${p.outTokPerS.toFixed(0)} tok/s${p.failed ? ` · ${p.failed} failed` : ''}` }),
          });
        } catch (e) {
          void vscode.window.showErrorMessage(`DeepSeek: benchmark of ${ep.label} failed: ${(e as Error).message}`);
          return;
        }
        cancelled ||= run.cancelled;
        const result = redactDeep(bench.resultJson(run, { endpointLabel: ep.label, preset: presetLabel }), [apiKey]);
        results.push(result);
        const speed = run.cancelled ? undefined : measuredSpeedOf(result);
        if (speed) measured.set(ep.id, speed);
        output.appendLine(`# ${spec.name} · ${ep.label}${run.server.simulated ? ' [simulated]' : ''}${run.cancelled ? ' [cancelled: finished requests only]' : ''}`);
        output.appendLine(bench.vllmPrintout(run));
        for (const [err, n] of Object.entries(run.metrics.errors)) output.appendLine(`${n} failed: ${redactText(err, [apiKey])}`);
        let file: string | undefined;
        if (dir) {
          // Redacted, sanitised name, no symlink followed (core/bench/resultFiles).
          const name = bench.defaultResultFilename(run);
          // A cancelled run is kept apart (benchmarks/cancelled/), so it never sits among finished runs.
          const runDir = run.cancelled ? path.join(dir.fsPath, 'cancelled') : dir.fsPath;
          file = saveResultFile(resolveResultPath(runDir, undefined, name), result, [apiKey], name, true);
          files.push(file);
        }
        // The charts use the run's metric mode, as its tables do.
        const { ttftsMs, itlsMs } = bench.timingsMs(run.traces, cfg.mode ?? 'vllm');
        views.push({ id: `${Date.now()}-${k}`, name: spec.name, file, result, ttftsMs: sample(ttftsMs, 2000), itlsMs: sample(itlsMs, 4000) });
        BenchResultsPanel.show(extensionUri, [...views], `${ep.label}${ep.simulated && !/simulator/i.test(ep.label) ? ' (simulated)' : ''} · ${presetLabel}`);
      }
    });
    if (!views.length) return { files, results, cancelled };
    if (!dir) void vscode.window.showWarningMessage('DeepSeek: no workspace folder is open, so results were not saved (export them from the panel).');
    return { files, results, cancelled };
  };
}
