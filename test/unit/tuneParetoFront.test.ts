// The Pareto front of the tuning view (tok/s per user vs tok/s per GPU, as vLLM's plot_pareto): which runs a user
// sees joined by the front line, and that a run beaten on both axes is never on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFront, tunePareto, type ParetoPoint } from '../../src/core/tune/paretoFront';

/** The definition, by brute force: no other point is at least as good on x and strictly better on y (or vice versa). */
function dominated(points: ParetoPoint[], i: number): boolean {
  return points.some((q, j) => j !== i && q.x >= points[i].x && q.y >= points[i].y && (q.x > points[i].x || q.y > points[i].y));
}

test('a TP-vs-DP sweep: the runs that trade per-user speed for per-GPU throughput form the front, by increasing x', () => {
  // Shaped like seed 003: low concurrency is fast per user and wasteful per GPU, high concurrency the opposite.
  const pts: ParetoPoint[] = [
    { x: 60, y: 8 },    // 0 TP8, 1 user
    { x: 45, y: 95 },   // 1 TP8, 16 users
    { x: 20, y: 300 },  // 2 TP8, 128 users
    { x: 40, y: 60 },   // 3 DP8+EP, 16 users: beaten by 1 on both axes
    { x: 18, y: 410 },  // 4 DP8+EP, 256 users
    { x: 10, y: 380 },  // 5 beaten by 4
  ];
  assert.deepEqual(paretoFront(pts), [4, 2, 1, 0]);
  for (const i of [3, 5]) assert.ok(dominated(pts, i));
});

test('matches the brute-force definition on random clouds (ties on one axis included)', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 200; round++) {
    const pts = Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => ({ x: Math.round(rnd() * 20), y: Math.round(rnd() * 20) }));
    const front = paretoFront(pts);
    const expected = pts.map((_, i) => i).filter((i) => !dominated(pts, i));
    // Exact duplicates are all kept (neither strictly beats the other).
    assert.deepEqual(new Set(front), new Set(expected), JSON.stringify(pts));
    for (let k = 1; k < front.length; k++) assert.ok(pts[front[k - 1]].x <= pts[front[k]].x, 'front is ordered by x');
  }
});

test('runs without a number (NaN, Infinity) are left off; an empty sweep has an empty front', () => {
  assert.deepEqual(paretoFront([]), []);
  assert.deepEqual(paretoFront([{ x: Number.NaN, y: 5 }, { x: 1, y: 1 }, { x: Infinity, y: 9 }]), [1]);
});

test('a tuning result\'s chart: x is each run\'s tok/s per user, y its tok/s per GPU (vLLM plot_pareto\'s axes); runs without TPOT are left out', () => {
  const run = (id: string, perUser: number | null, perGpu: number, sloPass: boolean) => ({ id, outputTokPerSecPerUser: perUser, outputTokPerSecPerGpu: perGpu, sloPass });
  const result = {
    candidates: [
      { id: 'c0', runs: [run('c0/concurrency-1/0', 62, 7.5, true), run('c0/concurrency-8/0', 48, 40, true), run('c0/concurrency-16/0', 20, 38, false)] },
      { id: 'c1', runs: [] },
      { id: 'c2', runs: [run('c2/concurrency-8/0', 50, 44, true), run('c2/concurrency-32/0', null, 90, false)] },
    ],
  } as unknown as Parameters<typeof tunePareto>[0];
  const { points, front } = tunePareto(result);
  assert.deepEqual(points.map((p) => [p.candidateId, p.x, p.y, p.sloPass]), [['c0', 62, 7.5, true], ['c0', 48, 40, true], ['c0', 20, 38, false], ['c2', 50, 44, true]]);
  // c2 at 8 users beats c0 at 8 users on both axes; c0 at 16 users is beaten by both.
  assert.deepEqual(front.map((i) => points[i].runId), ['c2/concurrency-8/0', 'c0/concurrency-1/0']);
});
