import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { calculateMetrics } from '../../src/core/bench/metrics';
import { newTrace, pushChunk, type RequestTrace } from '../../src/core/bench/trace';
import { percentile, std } from '../../src/core/bench/stats';
import { arrivalTimes } from '../../src/core/bench/arrivals';
import { randomTokenRequests } from '../../src/core/bench/workload';
import { Kind, compilePattern, find, recordMessage, scanMessage } from '../../src/core/bench/sseScan';

/** A hand-built request: chunk times (ms) with whether each carried text; start at `start`. */
function trace(i: number, start: number, chunks: [number, boolean][], usage?: number, doneAt?: number): RequestTrace {
  const t = newTrace(i, 100, 6);
  t.startMs = start;
  for (const [ms, text] of chunks) pushChunk(t, ms, text);
  t.lastLineMs = doneAt ?? chunks[chunks.length - 1][0];
  t.usageCompletionTokens = usage;
  t.usagePromptTokens = usage === undefined ? undefined : 104;
  t.success = true;
  return t;
}

const traces = (): RequestTrace[] => {
  // A: role chunk (no text) first, then a 3-token chunk: ITL samples ≠ TPOT.
  const a = trace(0, 0, [[100, false], [120, true], [160, true], [180, true]], 6, 190);
  // B: no usage chunk: output length falls back to text-bearing chunks (3).
  const b = trace(1, 50, [[250, true], [300, true], [330, true]], undefined, 335);
  // C: failed with HTTP 500.
  const c = newTrace(2, 100, 6);
  c.startMs = 10;
  c.error = 'HTTP 500: EngineCore encountered an issue.';
  // D: output_len 1: no TPOT sample, but TPOT 0 for goodput.
  const d = trace(3, 1200, [[1700, true]], 1, 1705);
  return [a, b, c, d];
};

function numpy(expr: string): number[] {
  return JSON.parse(execFileSync('python3', ['-c', `import numpy as np, json; print(json.dumps(${expr}))`], { encoding: 'utf8' })) as number[];
}

test('vLLM definitions on hand-built traces: TTFT at the first choices chunk, ITL per chunk (≠ TPOT with multi-token chunks), usage missing, failed request, output_len 1', () => {
  const m = calculateMetrics(traces(), 2.0, { percentiles: [50, 90, 99], goodput: { ttft: 300, tpot: 20 } });
  assert.equal(m.completed, 3);
  assert.equal(m.failed, 1);
  assert.deepEqual(m.errors, { 'HTTP 500: EngineCore encountered an issue.': 1 });
  assert.equal(m.totalOutput, 6 + 3 + 1);
  assert.equal(m.totalInput, 104 + 100 + 104, 'usage.prompt_tokens replaces the dataset length when reported');
  assert.equal(m.outputLenEstimated, 1);
  const ttfts = [0.1, 0.2, 0.5];
  const tpots = [(0.18 - 0.1) / 5, (0.28 - 0.2) / 2];
  const itls = [0.02, 0.04, 0.02, 0.05, 0.03];
  assert.ok(Math.abs(m.summaries.ttft.mean - 1000 * (0.8 / 3)) < 1e-9);
  assert.ok(Math.abs(m.summaries.tpot.mean - 1000 * ((tpots[0] + tpots[1]) / 2)) < 1e-9);
  assert.ok(Math.abs(m.summaries.itl.mean - 1000 * (0.16 / 5)) < 1e-9);
  assert.notEqual(m.summaries.itl.mean.toFixed(3), m.summaries.tpot.mean.toFixed(3));
  assert.ok(Math.abs(m.summaries.e2el.mean - 1000 * ((0.18 + 0.28 + 0.5) / 3)) < 1e-9);
  // Goodput (ttft ≤ 300, tpot ≤ 20): A passes (100, 16); B fails tpot (40); D fails ttft (500) → 1 good / 2 s.
  assert.ok(Math.abs((m.requestGoodput ?? -1) - 1 / 2.0) < 1e-12);
  assert.ok(Math.abs(m.outputThroughput - 10 / 2) < 1e-12);
  assert.equal(m.maxConcurrentRequests, 2);
  // Peak tok/s: chunks at 0.1,0.12,0.16,0.18,0.25,0.3,0.33 in second 0; 1.7 in second 1 → 7.
  assert.equal(m.maxOutputTokensPerS, 7);
  // Cross-check every percentile and std against numpy on the same numbers.
  const py = numpy(`[*np.percentile(${JSON.stringify(ttfts)}, [50, 90, 99]), *np.percentile(${JSON.stringify(tpots)}, [50, 90, 99]), *np.percentile(${JSON.stringify(itls)}, [50, 90, 99]), float(np.std(${JSON.stringify(itls)})), float(np.std(${JSON.stringify(ttfts)}))]`);
  const ours = [...m.summaries.ttft.percentiles, ...m.summaries.tpot.percentiles, ...m.summaries.itl.percentiles].map(([, v]) => v / 1000).concat([m.summaries.itl.std / 1000, m.summaries.ttft.std / 1000]);
  ours.forEach((v, i) => assert.ok(Math.abs(v - py[i]) < 1e-12, `value ${i}: ours ${v} numpy ${py[i]}`));
});

test('SGLang mode from the same traces: TTFT at the first non-empty text, latency to [DONE], output = usage or the requested length', () => {
  const m = calculateMetrics(traces(), 2.0, { percentiles: [90, 95, 99], mode: 'sglang' });
  // A: ttft 0.12 (role chunk skipped), latency 0.19 ([DONE]); B: ttft 0.2, latency 0.285, output 6 (requested); D: 0.5.
  assert.ok(Math.abs(m.summaries.ttft.mean - 1000 * ((0.12 + 0.2 + 0.5) / 3)) < 1e-9);
  assert.ok(Math.abs(m.summaries.e2el.mean - 1000 * ((0.19 + 0.285 + 0.505) / 3)) < 1e-9);
  assert.equal(m.totalOutput, 6 + 6 + 1);
  assert.ok(Math.abs(m.concurrency - (0.19 + 0.285 + 0.505) / 2) < 1e-12);
});

test('empty and single-value lists summarise like numpy (`values or 0`): zeros, and p99 of one value is that value', () => {
  const m = calculateMetrics([traces()[2]], 1, { percentiles: [99] });
  assert.deepEqual(m.summaries.ttft, { mean: 0, median: 0, std: 0, percentiles: [[99, 0]] });
  assert.equal(percentile([7], 99), 7);
  const xs = Array.from({ length: 101 }, (_, i) => (i * 37) % 101);
  const py = numpy(`[*np.percentile(${JSON.stringify(xs)}, [0.1, 25, 33.3, 99.9]), float(np.std(${JSON.stringify(xs)}))]`);
  [0.1, 25, 33.3, 99.9].forEach((p, i) => assert.ok(Math.abs(percentile(xs, p) - py[i]) < 1e-9));
  assert.ok(Math.abs(std(xs) - py[4]) < 1e-9);
});

test('arrivals: mean rate, burstiness (gap CV² ≈ 1/burstiness), last arrival exactly N/rate, seeded, inf = all at t=0', () => {
  const gapsOf = (a: Float64Array): number[] => Array.from(a, (x, i) => x - (i ? a[i - 1] : 0));
  const cv2 = (g: number[]): number => {
    const mu = g.reduce((s, x) => s + x, 0) / g.length;
    return g.reduce((s, x) => s + (x - mu) ** 2, 0) / g.length / mu ** 2;
  };
  for (const b of [0.25, 1, 4]) {
    const a = arrivalTimes(5000, 10, b, 0);
    assert.ok(Math.abs(a[a.length - 1] - 500) < 1e-9, 'rescaled to N/rate');
    assert.ok(Math.abs(cv2(gapsOf(a)) - 1 / b) < 0.15 / Math.min(1, b), `burstiness ${b}: CV² ${cv2(gapsOf(a))}`);
  }
  assert.deepEqual(arrivalTimes(100, 5, 1, 42), arrivalTimes(100, 5, 1, 42));
  assert.notDeepEqual(arrivalTimes(100, 5, 1, 42), arrivalTimes(100, 5, 1, 43));
  const even = arrivalTimes(4, 2, Infinity, 0);
  assert.deepEqual(Array.from(even), [0.5, 1, 1.5, 2]);
  assert.ok(arrivalTimes(10, Infinity, 1, 0).every((x) => x === 0));
});

test('random dataset: exact lengths at range ratio 0, vLLM\'s [floor(L(1−r)), ceil(L(1+r))] otherwise, shared prefix counted', () => {
  const exact = randomTokenRequests({ numPrompts: 50, inputLen: 1000, outputLen: 128, rangeRatio: 0, prefixLen: 0, seed: 0 });
  assert.ok(exact.every((r) => r.promptLen === 1000 && (r.prompt as number[]).length === 1000 && r.outputLen === 128));
  const ranged = randomTokenRequests({ numPrompts: 400, inputLen: 1000, outputLen: 1000, rangeRatio: 0.15, prefixLen: 10, seed: 1 });
  assert.ok(ranged.every((r) => r.promptLen >= 10 + 850 && r.promptLen <= 10 + 1150 && r.outputLen >= 850 && r.outputLen <= 1150));
  assert.ok(new Set(ranged.map((r) => r.outputLen)).size > 100);
  const pre = (ranged[0].prompt as number[]).slice(0, 10);
  assert.ok(ranged.every((r) => (r.prompt as number[]).slice(0, 10).join() === pre.join()));
  assert.throws(() => randomTokenRequests({ numPrompts: 1, inputLen: 10, outputLen: 10, rangeRatio: 1, prefixLen: 0, seed: 0 }), /\[0, 1\)/);
});

test('the in-place pattern search finds what Buffer#indexOf finds inside [from, to), and nothing past `to`', () => {
  // Deterministic pseudo-random bytes over a small alphabet, so partial matches of the patterns are frequent.
  let x = 12345;
  const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), x % n);
  const alphabet = Buffer.from('"choices:[]{}tex \\');
  for (const word of ['"choices":', '":"', '[DONE]']) {
    const pat = Buffer.from(word);
    const compiled = compilePattern(pat);
    for (let round = 0; round < 400; round++) {
      const buf = Buffer.from(Array.from({ length: 10 + rnd(200) }, () => alphabet[rnd(alphabet.length)]));
      if (round % 3 === 0) pat.copy(buf, rnd(buf.length - pat.length));
      const from = rnd(buf.length);
      const to = from + rnd(buf.length - from + 1);
      const want = buf.subarray(from, to).indexOf(pat);
      assert.equal(find(buf, compiled, from, to), want < 0 ? -1 : from + want, `${word} in ${JSON.stringify(buf.toString())} [${from}, ${to})`);
    }
  }
});

test('SSE event data is classified in place without JSON.parse on the hot path, as a parse would classify it', () => {
  // The one SSE reader (sseParser.ts) has already removed `data:` and handled comments; this sees event data only.
  const k = (s: string): Kind => scanMessage(Buffer.from(s), 0, Buffer.byteLength(s));
  assert.equal(k('{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}'), Kind.Choices);
  assert.equal(k('{"choices":[{"index":0,"delta":{"reasoning":"Hm"}}]}'), Kind.ChoicesWithText);
  assert.equal(k('{"choices":[{"delta":{"content":"\\"q"}}]}'), Kind.ChoicesWithText);
  assert.equal(k('{"choices":[{"index":0,"text":"a"}]}'), Kind.ChoicesWithText);
  assert.equal(k('[DONE]'), Kind.Done);
  assert.equal(k('{"choices":[],"usage":{"completion_tokens":3}}'), Kind.Json);
  assert.equal(k('{"choices": [{"delta": {"content": ""}}]}'), Kind.Json, 'spaced JSON is parsed properly');
  // A match past the event's end (the next event in the same read) is not taken for this one.
  const two = Buffer.from('{"a":1}{"choices":[{"text":"x"}]}');
  assert.equal(scanMessage(two, 0, 7), Kind.Json);
  assert.equal(scanMessage(two, 7, two.length), Kind.ChoicesWithText);
  const t = newTrace(0, 1, 1);
  const rec = (s: string, type = ''): boolean => recordMessage(t, Buffer.from(s), 0, Buffer.byteLength(s), 5, type);
  assert.equal(rec('{"choices": [{"delta": {"content": "x"}}]}'), true);
  assert.equal(rec('{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}'), false);
  assert.equal(rec('{"error":{"message":"EngineCore encountered an issue."}}'), false);
  assert.deepEqual([t.chunks, t.textFlags[0], t.usagePromptTokens, t.usageCompletionTokens, t.error], [1, 1, 9, 3, 'mid-stream error: EngineCore encountered an issue.']);
  const t2 = newTrace(0, 1, 1);
  recordMessage(t2, Buffer.from('engine overloaded'), 0, 17, 5, 'error');
  assert.equal(t2.error, 'mid-stream error: engine overloaded', 'an `event: error` fails the request with its data');
});
