import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseByteReader, SseParser } from '../../src/core/openai/sseParser';

// Retain mode of the one SSE reader (src/core/openai/sseParser.ts, `retainInput`, used by the chat over node:http and
// the benchmark's undici client): a line past 1 MiB keeps the caller's large pieces instead of copying them. Fault
// kind: unbounded memory on hostile input — a 100 MB event refused at the 16 MiB cap held every byte twice (the
// reader's copy and the socket reads waiting for a GC). A user sees the same events either way and half the memory
// while a huge line arrives.

const MIB = 1024 * 1024;

/** Events read from `pieces` by a reader with or without retain mode. */
function read(pieces: Buffer[], retainInput: boolean, cap = 16 * MIB): { events: string[]; error?: string } {
  const events: string[] = [];
  const r = new SseByteReader({ onSseEvent: (b, s, e, type) => events.push(`${type}|${b.toString('latin1', s, e)}`) }, cap, { retainInput });
  for (const p of pieces) r.push(p, 0, p.length);
  return { events, error: r.error };
}

/** Cuts `text` at pseudo-random points into fresh Buffers (sizes from 1 byte to 200 KiB), with a fixed seed. */
function cut(text: string, seed: number): Buffer[] {
  const all = Buffer.from(text, 'latin1');
  const out: Buffer[] = [];
  let x = seed;
  const rnd = (): number => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let o = 0; o < all.length;) {
    const kind = rnd();
    const n = kind < 0.3 ? 1 + Math.floor(rnd() * 16) : kind < 0.6 ? 16 * 1024 + Math.floor(rnd() * 1024) : Math.floor(rnd() * 200 * 1024) + 1;
    out.push(Buffer.from(all.subarray(o, Math.min(all.length, o + n))));
    o += n;
  }
  return out;
}

test('same events with and without retain mode: huge lines (1–3 MiB) cut at random among small events, CRLF and CR endings, multi-line data, comments, a BOM', () => {
  const big = (n: number, c: string): string => c.repeat(n);
  const text = '\xef\xbb\xbf' + [
    'data: small one\n\n',
    `data: ${big(3 * MIB + 17, 'a')}\r\n\r\n`,
    ': keep-alive\n',
    `event: big\ndata: ${big(MIB + 1, 'b')}\ndata: tail\r\r`,
    `data: ${big(2 * MIB, 'c')}\n: comment between data lines\ndata: ${big(1200 * 1024, 'd')}\n\n`,
    'data: last\n\n',
  ].join('');
  for (const seed of [1, 2, 3, 4, 5]) {
    const pieces = cut(text, seed);
    const copied = read(pieces, false);
    const kept = read(pieces, true);
    assert.equal(kept.error, undefined);
    assert.equal(kept.events.length, 5, `seed ${seed}`);
    assert.deepEqual(kept.events, copied.events, `seed ${seed}: retain mode changed an event`);
  }
});

test('a line past 1 MiB arriving in 64 KiB socket reads is held once: reader memory grows by ~1 MiB, not by the 10 MiB received (the copy reader: +16 MiB, its cap-sized buffer)', () => {
  const piece = (k: number): Buffer => Buffer.alloc(65536, 97 + (k % 26));
  const pieces = [Buffer.from('data: '), ...Array.from({ length: 160 }, (_, k) => piece(k))];
  const grow = (retainInput: boolean): number => {
    const r = new SseByteReader({ onSseEvent: () => undefined }, 16 * MIB, { retainInput });
    const before = process.memoryUsage().arrayBuffers;
    for (const p of pieces) r.push(p, 0, p.length);
    const after = process.memoryUsage().arrayBuffers;
    assert.equal(r.pendingBytes, 6 + 160 * 65536);
    return (after - before) / MIB;
  };
  const copied = grow(false);
  const kept = grow(true);
  assert.ok(copied >= 10, `control: the copy reader holds its own ${copied.toFixed(1)} MiB`);
  assert.ok(kept < 2, `retain mode allocated ${kept.toFixed(2)} MiB for a 10 MiB line`);
});

test('a huge line past the cap is still refused with the cap error, and the reader drops what it held', () => {
  const pieces = [Buffer.from('data: '), ...Array.from({ length: 40 }, () => Buffer.alloc(65536, 120))];
  const { error } = read(pieces, true, 2 * MIB);
  assert.match(error ?? '', /larger than the 2 MiB limit/);
  const r = new SseByteReader({ onSseEvent: () => undefined }, 2 * MIB, { retainInput: true });
  for (const p of pieces) r.push(p, 0, p.length);
  r.reset();
  assert.equal(r.pendingBytes, 0);
  const got: string[] = [];
  const p = new SseParser(2 * MIB, { retainInput: true });
  got.push(...p.push(`data: ${'y'.repeat(1536 * 1024)}\n\n`));
  assert.equal(got[0].length, 1536 * 1024);
});

test('a small view of a large read (16 KiB of a 64 KiB buffer: chunk framing around it) is copied, not kept: it would pin 4× its bytes', () => {
  const r = new SseParser(16 * MIB, { retainInput: true });
  r.push(`data: ${'a'.repeat(MIB + 10)}`);
  const read = Buffer.alloc(65536, 98); // 'b'
  const view = read.subarray(1000, 1000 + 16 * 1024);
  r.push(view);
  read.fill(99); // the caller may not do this in retain mode; here it shows the view was copied
  const [ev] = r.push('\n\n');
  assert.equal(ev.length, MIB + 10 + 16 * 1024);
  assert.equal(ev.slice(MIB + 10), 'b'.repeat(16 * 1024));
});

test('one-byte pieces between large ones (a drip meant to multiply per-piece overhead) go into shared 64 KiB copy buffers: the event is exact', () => {
  const r = new SseParser(16 * MIB, { retainInput: true });
  const parts: string[] = [];
  r.push(`data: ${'s'.repeat(MIB + 1)}`);
  parts.push('s'.repeat(MIB + 1));
  for (let k = 0; k < 200; k++) {
    const c = String.fromCharCode(97 + (k % 26));
    r.push(c);
    const big = c.toUpperCase().repeat(16 * 1024 + k);
    r.push(Buffer.from(big, 'latin1'));
    parts.push(c, big);
  }
  const [ev] = r.push('\n\n');
  assert.equal(ev, parts.join(''));
});
