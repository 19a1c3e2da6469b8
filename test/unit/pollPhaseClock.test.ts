import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { PollPhaseClock } from '../../src/core/bench/pollPhaseClock';

// Fault kind: receive timestamps skewed by the client's own processing. At high concurrency hundreds of sockets are
// readable at once; stamped one by one, the last is late by the whole batch's processing, and ITL error follows.

test('reads delivered in one poll phase share its first read\'s time; the next phase gets a new time', () => {
  let t = 100;
  const queued: Array<() => void> = [];
  const clock = new PollPhaseClock(() => t, (f) => queued.push(f));
  assert.equal(clock.readMs(), 100);
  t = 103; // three ms of processing later, still the same phase
  assert.equal(clock.readMs(), 100);
  assert.equal(queued.length, 1, 'one end-of-phase callback per phase');
  queued.shift()!();
  t = 110;
  assert.equal(clock.readMs(), 110);
});

test('with the real event loop: 40 sockets written at once are stamped alike however long each read takes', async () => {
  const clock = new PollPhaseClock();
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  const stamps: number[] = [];
  const clients = await Promise.all(
    Array.from({ length: 40 }, () => new Promise<net.Socket>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => resolve(c));
      c.on('data', () => {
        stamps.push(clock.readMs());
        const until = performance.now() + 0.2; // a read that costs 0.2 ms to process
        while (performance.now() < until);
      });
    })),
  );
  while (accepted.length < 40) await new Promise((r) => setTimeout(r, 5));
  for (const s of accepted) s.write('x');
  await new Promise((r) => setTimeout(r, 50)); // the server's writes reach the kernel before the client polls again
  while (stamps.length < 40) await new Promise((r) => setTimeout(r, 5));
  // Processing all 40 took ≥ 8 ms; the stamps are the poll phases' times (usually one; a loaded machine may split it).
  const phases = new Set(stamps).size;
  assert.ok(phases <= 3, `40 reads over ${phases} distinct times`);
  for (const c of clients) c.destroy();
  server.close();
});
