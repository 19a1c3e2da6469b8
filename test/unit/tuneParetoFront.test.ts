// The Pareto front of the tuning view (tok/s per user vs tok/s per GPU, as vLLM's plot_pareto): which runs a user
// sees joined by the front line, and that a run beaten on both axes is never on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFront, type ParetoPoint } from '../../src/core/tune/paretoFront';

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
