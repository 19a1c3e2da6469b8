import type { LoadKind, TuneCandidate, TuneObjective } from './tuneResult';

type Figures = Pick<TuneCandidate, 'maxLoadMeetingSlo' | 'goodputPerGpu' | 'outputTokPerSecPerGpu' | 'usdPerMTokOutput' | 'usdPerMTokTotal' | 'joulesPerOutputToken'>;

/**
 * A candidate's figures at the highest load that met the SLOs, over every run of that load (repeats pooled):
 * - goodput per GPU: vLLM's request goodput (req/s within the TTFT/TPOT/E2EL thresholds; request throughput when the
 *   SLOs bound none of those) / GPUs;
 * - output tok/s per GPU: output tokens / run time / GPUs;
 * - $/Mtok: price per GPU-hour × GPUs × run time (h) / million tokens (output only, and input + output);
 * - J per output token: ∫ power dt over the runs (nvidia-smi power.draw, all GPUs) / output tokens.
 */
export function candidateFigures(c: Pick<TuneCandidate, 'gpus' | 'runs'>, decided: ReadonlyArray<{ load: number; pass: boolean }>, pricePerGpuHour: number, kind: LoadKind): Figures {
  const none: Figures = { maxLoadMeetingSlo: null, goodputPerGpu: null, outputTokPerSecPerGpu: null, usdPerMTokOutput: null, usdPerMTokTotal: null, joulesPerOutputToken: null };
  const passing = decided.filter((d) => d.pass).map((d) => d.load);
  const failing = decided.filter((d) => !d.pass).map((d) => d.load);
  const lowestFail = failing.length ? Math.min(...failing) : Infinity;
  const ok = passing.filter((l) => l < lowestFail);
  if (!ok.length) return none;
  const best = Math.max(...ok);
  const runs = c.runs.filter((r) => r.load.value === best && r.load.kind === kind);
  if (!runs.length) return none;
  const dur = runs.reduce((a, r) => a + r.durationS, 0);
  const out = runs.reduce((a, r) => a + r.outputTokens, 0);
  const inp = runs.reduce((a, r) => a + r.inputTokens, 0);
  const goodput = runs.reduce((a, r) => a + (r.goodputRequestsPerSec ?? r.requestThroughput) * r.durationS, 0) / dur;
  const usd = (pricePerGpuHour * c.gpus * dur) / 3600;
  const energy = runs.every((r) => r.energyJ !== null) ? runs.reduce((a, r) => a + (r.energyJ ?? 0), 0) : null;
  return {
    maxLoadMeetingSlo: { kind, value: best },
    goodputPerGpu: goodput / c.gpus,
    outputTokPerSecPerGpu: out / dur / c.gpus,
    usdPerMTokOutput: out > 0 ? usd / (out / 1e6) : null,
    usdPerMTokTotal: out + inp > 0 ? usd / ((out + inp) / 1e6) : null,
    joulesPerOutputToken: energy !== null && out > 0 ? energy / out : null,
  };
}

const OBJECTIVE_WORDS: Record<TuneObjective, string> = { goodputPerGpu: 'goodput per GPU (req/s)', outputTokPerSecPerGpu: 'output tok/s per GPU', usdPerMTok: '$ per million output tokens' };

const valueOf = (c: TuneCandidate, o: TuneObjective): number | null => (o === 'goodputPerGpu' ? c.goodputPerGpu : o === 'outputTokPerSecPerGpu' ? c.outputTokPerSecPerGpu : c.usdPerMTokOutput);

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3));

/**
 * The best candidate for the objective among those that met the SLOs at some load (highest goodput or tok/s per GPU,
 * or lowest $/Mtok; ties go to the higher load, then the earlier candidate), and why in words: its value, the
 * runner-up's and the margin. $/Mtok with a price of 0 ranks by output tok/s per GPU instead (cost is then
 * proportional to 1 / throughput per GPU anyway).
 */
export function chooseBest(cands: readonly TuneCandidate[], objective: TuneObjective): { best: TuneCandidate | null; reason: string } {
  const eligible = cands.filter((c) => c.maxLoadMeetingSlo !== null && valueOf(c, objective) !== null);
  if (!eligible.length) {
    const ran = cands.filter((c) => c.runs.length).length;
    const misfit = cands.filter((c) => !c.fits).length;
    return { best: null, reason: `no configuration met the SLOs at any load (${ran} measured, ${misfit} rejected by the planner without launching)` };
  }
  const zeroPrice = objective === 'usdPerMTok' && eligible.every((c) => c.usdPerMTokOutput === 0);
  const obj: TuneObjective = zeroPrice ? 'outputTokPerSecPerGpu' : objective;
  const sign = obj === 'usdPerMTok' ? -1 : 1;
  const ranked = [...eligible].sort((a, b) => sign * (valueOf(b, obj)! - valueOf(a, obj)!) || b.maxLoadMeetingSlo!.value - a.maxLoadMeetingSlo!.value);
  const [best, second] = ranked;
  const v = valueOf(best, obj)!;
  const load = `${best.maxLoadMeetingSlo!.kind} ${best.maxLoadMeetingSlo!.value}`;
  let reason = `${best.id} ${JSON.stringify(best.params)} has the ${sign > 0 ? 'highest' : 'lowest'} ${OBJECTIVE_WORDS[obj]}: ${fmt(v)} at ${load} while meeting every SLO`;
  if (zeroPrice) reason += ' (no price per GPU-hour was given, so cost ranks as throughput per GPU)';
  if (second) {
    const w = valueOf(second, obj)!;
    reason += `; runner-up ${second.id} ${JSON.stringify(second.params)}: ${fmt(w)} (${v !== 0 ? `${((Math.abs(v - w) / Math.abs(v)) * 100).toFixed(1)}% ${sign > 0 ? 'lower' : 'higher'}` : 'equal'})`;
  } else reason += '; it is the only configuration that met the SLOs';
  return { best, reason };
}
