import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamDeadline } from '../../src/core/openai/streamLimits';

// The two stream deadlines (src/core/openai/streamLimits.ts). Fault kind: deadlines that do not end a stalled
// stream in time — the between-chunks deadline was checked only when the first-token timer fired, so with the
// defaults a stream that stalled after its first token failed after 600 s instead of 120 s.

const limits = { maxEventBytes: 1 << 24, firstTokenTimeoutMs: 3000, idleTimeoutMs: 150 };

function expiry(run: (d: StreamDeadline) => void): Promise<{ ms: number; message: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    // The deadline's timer is unref'd (it must not keep a CLI alive): hold the test's event loop open meanwhile.
    const hold = setTimeout(() => undefined, 5000);
    const d = new StreamDeadline(limits, (message) => {
      clearTimeout(hold);
      resolve({ ms: performance.now() - t0, message });
    });
    d.start(t0);
    run(d);
  });
}

test('a stream that stalls after its first data ends at the between-chunks deadline (150 ms), not at the first-token one (3 s)', async () => {
  const r = await expiry((d) => setTimeout(() => d.event(performance.now()), 50));
  assert.match(r.message, /no data for 0\.15 s between chunks \(idle timeout/);
  assert.ok(r.ms >= 195 && r.ms < 1500, `expired after ${r.ms.toFixed(0)} ms`);
});

test('data every 50 ms keeps a 150 ms between-chunks deadline from firing; it fires 150 ms after the last', async () => {
  let last = 0;
  const r = await expiry((d) => {
    let n = 0;
    const tick = setInterval(() => {
      last = performance.now();
      d.event(last);
      if (++n === 10) clearInterval(tick);
    }, 50);
  });
  assert.match(r.message, /idle timeout/);
  assert.ok(r.ms >= 500 + 150 - 5, `expired after ${r.ms.toFixed(0)} ms, before the stream went quiet + 150 ms`);
});

test('no data at all ends at the first-token deadline (3 s), even though the between-chunks one is shorter', async () => {
  const r = await expiry(() => undefined);
  assert.match(r.message, /No data from the server within 3 s of sending the request \(first-token timeout/);
  assert.ok(r.ms >= 2990 && r.ms < 4000, `expired after ${r.ms.toFixed(0)} ms`);
});
