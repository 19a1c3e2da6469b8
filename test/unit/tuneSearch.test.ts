import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTuneSpecYaml, TuneSpecError } from '../../src/core/tune/tuneSpec';
import { nextLoad, type LoadSearchState } from '../../src/core/tune/loadSearch';
import { checkSlo, emptySamples, quantileInterval, verdictKnown } from '../../src/core/tune/sloStats';
import { integrateEnergy, parsePowerLine } from '../../src/core/tune/powerSampler';
import { planCandidates } from '../../src/core/tune/tuneCandidates';
import { candidateFigures, chooseBest } from '../../src/core/tune/tuneCost';
import { parseGpuSpec } from '../../src/core/plan/catalog';
import { TUNE_EXAMPLE } from '../../src/core/tune/tuneExample';
import type { TuneCandidate, TuneRun } from '../../src/core/tune/tuneResult';

const SPEC = `name: t
base:
  inline:
    name: r1
    engine: {kind: vllm}
    model: {id: deepseek-ai/DeepSeek-R1}
    runtime: {kind: process}
search:
  parallel: [{tp: 8}, {tp: 4}, {tp: 1, dp: 8, expertParallel: true}]
  maxNumSeqs: [64, 128]
  speculative: [null, {method: deepseek_mtp, numSpeculativeTokens: 1}]
  flags: {--block-size: [16, 64]}
slo:
  - {metric: ttft, stat: p99, maxMs: 2000}
`;

test('tuning spec: the example parses; a bad field is named with its line, an unknown one too', () => {
  assert.equal(parseTuneSpecYaml(TUNE_EXAMPLE).name, 'sim-example');
  const bad = SPEC.replace('stat: p99', 'stat: p77').replace('maxNumSeqs: [64, 128]', 'maxNumSeqs: [64, 128]\n  maxNumSeq: [1]');
  assert.throws(() => parseTuneSpecYaml(bad, 'x.tune.yaml'), (e: unknown) => {
    assert.ok(e instanceof TuneSpecError);
    assert.match(e.message, /^x\.tune\.yaml:11:\d+: search\.maxNumSeq: unknown field "maxNumSeq"$/m);
    assert.match(e.message, /^x\.tune\.yaml:15:\d+: slo\[0\]\.stat: /m);
    return true;
  });
  assert.throws(() => parseTuneSpecYaml(SPEC.replace('metric: ttft', 'metric: ttfo')), /slo\[0\]\.metric: TTFO .* needs workload\.backend: openai-chat/);
  assert.throws(() => parseTuneSpecYaml(SPEC.replace('{--block-size', '{--api-key')), /search\.flags.*API key come from the profile/);
});

test('search space: cartesian product in key order; the planner rejects TP 4 on 8×H200 for R1; flags and speculative land in argv', () => {
  const spec = parseTuneSpecYaml(SPEC);
  const base = spec.base.inline!;
  const c = planCandidates(spec, { ...base, knobs: { ...base.knobs, extraArgs: ['--block-size', '32'] } }, parseGpuSpec('8xH200-141GB'));
  assert.equal(c.length, 3 * 2 * 2 * 2);
  assert.deepEqual(c[0].params, { parallel: 'tp8', maxNumSeqs: 64, speculative: null, '--block-size': 16 });
  assert.deepEqual(c[23].params, { parallel: 'dp8-ep', maxNumSeqs: 128, speculative: 'deepseek_mtp×1', '--block-size': 64 });
  assert.deepEqual(c.map((x) => x.fits), c.map((x) => x.params.parallel !== 'tp4'));
  assert.match(c.find((x) => !x.fits)!.fitReason, /weights do not fit/);
  assert.equal(c[23].gpus, 8);
  assert.deepEqual(c[23].profile.knobs.extraArgs, ['--speculative-config', '{"method":"deepseek_mtp","num_speculative_tokens":1}', '--block-size', '64']);
  assert.equal(c[23].profile.name, 't-c23');
});

/** Runs the search against an oracle that passes up to `limit`. */
function search(s: Omit<LoadSearchState, 'decided'>, limit: number): { points: number[]; best: number | null; above: number | null } {
  const decided: Array<{ load: number; pass: boolean }> = [];
  for (;;) {
    const st = nextLoad({ ...s, decided });
    if (st.done) return { points: decided.map((d) => d.load), best: st.best, above: st.above };
    decided.push({ load: st.load, pass: st.load <= limit });
  }
}

test('load search: doubles, then bisects to one step (concurrency: 1 request; rate: the relative resolution)', () => {
  assert.deepEqual(search({ kind: 'concurrency', start: 1, max: 1024, resolution: 1, maxPoints: 20 }, 13), { points: [1, 2, 4, 8, 16, 12, 14, 13], best: 13, above: 14 });
  assert.deepEqual(search({ kind: 'concurrency', start: 1, max: 8, resolution: 1, maxPoints: 20 }, 100), { points: [1, 2, 4, 8], best: 8, above: null });
  assert.deepEqual(search({ kind: 'concurrency', start: 2, max: 8, resolution: 1, maxPoints: 20 }, 1), { points: [2], best: null, above: 2 });
  const r = search({ kind: 'rate', start: 0.5, max: 100, resolution: 0.1, maxPoints: 20 }, 5.3);
  assert.ok(r.best! <= 5.3 && r.above! > 5.3 && r.above! - r.best! <= 0.1 * r.best!, JSON.stringify(r));
  assert.equal(search({ kind: 'concurrency', start: 1, max: 1024, resolution: 1, maxPoints: 5 }, 300).points.length, 5);
});

test('SLO statistics: numpy-linear p99 with an order-statistic interval; a point is decided when its interval is clear of the limit', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  const [lo, hi] = quantileInterval(sorted, 0.99, 0.95);
  // n·p = 990, z·√(n·p·q) = 1.96·3.146 = 6.17: ranks ⌈983.8⌉ and ⌈996.2⌉.
  assert.deepEqual([lo, hi], [984, 997]);
  const s = emptySamples();
  s.ttft.push(...Array.from(sorted));
  const c = checkSlo({ metric: 'ttft', stat: 'p99', maxMs: 2000 }, s, 0.95);
  assert.equal(c.valueMs, 990.01);
  assert.equal(c.pass, true);
  assert.equal(verdictKnown([c], 0.001), true);
  const near = checkSlo({ metric: 'ttft', stat: 'p99', maxMs: 991 }, s, 0.95);
  assert.equal(near.pass, true);
  assert.equal(verdictKnown([near], 0.001), false, 'the interval straddles the limit and is wider than ±0.1%');
  assert.equal(verdictKnown([near], 0.01), true);
  assert.equal(checkSlo({ metric: 'ttfo', stat: 'mean', maxMs: 1 }, s, 0.95).valueMs, null);
});

test('energy: trapezoids with linear edges are exact for a linear power ramp, also past the last reading', () => {
  const p = (t: number): number => 2400 + 160 * (t - 1000);
  const samples = [1000.2, 1000.7, 1001.2, 1001.7].map((t) => ({ t, watts: p(t) }));
  const exact = (a: number, b: number): number => 2400 * (b - a) + 80 * ((b - 1000) ** 2 - (a - 1000) ** 2);
  assert.ok(Math.abs(integrateEnergy(samples, 1000.5, 1001.5)! - exact(1000.5, 1001.5)) < 1e-9);
  assert.ok(Math.abs(integrateEnergy(samples, 1000.3, 1002.0, 1)! - exact(1000.3, 1002.0)) < 1e-9);
  assert.equal(integrateEnergy(samples, 1000.3, 1002.0), null, 'not covered without slack');
  // nvidia-smi's own timestamp of the query (TZ=UTC0) wins over the loop's clock; "[N/A]" GPUs are left out.
  assert.deepEqual(parsePowerLine('@@ 1700000000.250000000 2023/11/14 22:13:20.500, 350.00;2023/11/14 22:13:20.501, 70.00;2023/11/14 22:13:20.502, [N/A];'), { t: 1700000000.5, watts: 420 });
  assert.deepEqual(parsePowerLine('@@ 1700000000.25 , 350.00;'), { t: 1700000000.25, watts: 350 });
  assert.equal(parsePowerLine('@@ 1700000000.25 '), null);
});

const run = (load: number, pass: boolean, o: Partial<TuneRun> = {}): TuneRun => ({
  id: `c0/concurrency-${load}/0`, load: { kind: 'concurrency', value: load }, repeat: 0, phase: 'double', resultFile: 'x', startedAt: '', durationS: 10,
  completed: 10, failed: 0, inputTokens: 1e5, outputTokens: 1e5, requestThroughput: 1, goodputRequestsPerSec: 0.8, outputTokPerSec: 1e4,
  outputTokPerSecPerGpu: 1250, outputTokPerSecPerUser: 50, slo: [], sloPass: pass, energyJ: 36000, powerSamples: 20, ...o,
});

test('cost and energy at the highest passing load: $/Mtok from price × GPUs × time, J per output token', () => {
  const f = candidateFigures({ gpus: 8, runs: [run(4, true), run(8, true), run(16, false)] }, [{ load: 4, pass: true }, { load: 8, pass: true }, { load: 16, pass: false }], 3.6, 'concurrency');
  // 8 GPUs × 10 s × $3.6/h = $0.08 for 0.1 Mtok out (0.2 Mtok in + out).
  const r6 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6);
  assert.deepEqual({ ...f, usdPerMTokOutput: r6(f.usdPerMTokOutput), usdPerMTokTotal: r6(f.usdPerMTokTotal) }, { maxLoadMeetingSlo: { kind: 'concurrency', value: 8 }, goodputPerGpu: 0.1, outputTokPerSecPerGpu: 1250, usdPerMTokOutput: 0.8, usdPerMTokTotal: 0.4, joulesPerOutputToken: 0.36 });
  const cand = (id: string, v: number | null): TuneCandidate => ({ id, params: { maxNumSeqs: Number(id.slice(1)) }, profileName: id, gpus: 8, fits: true, fitReason: '', status: 'done', maxLoadMeetingSlo: v === null ? null : { kind: 'concurrency', value: 4 }, goodputPerGpu: v, outputTokPerSecPerGpu: v, usdPerMTokOutput: v === null ? null : 1 / v, usdPerMTokTotal: null, joulesPerOutputToken: null, runs: [] });
  const b = chooseBest([cand('c1', 2), cand('c2', 3), cand('c3', null)], 'usdPerMTok');
  assert.equal(b.best?.id, 'c2');
  assert.match(b.reason, /lowest \$ per million output tokens: 0\.333 .*runner-up c1 .*: 0\.500 \(50\.0% higher\)/);
  assert.equal(chooseBest([cand('c3', null)], 'goodputPerGpu').best, null);
});
