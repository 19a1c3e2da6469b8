import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseByteReader, SseLimitError, SseParser, type SseEvent } from '../../src/core/openai/sseParser';

// The one SSE reader against the WHATWG "Server-sent events" parsing rules. Every stream is also fed cut at every
// byte position (two reads) and one byte per read: the events must not depend on how the network splits the bytes.

const ev = (data: string, type = 'message', id = ''): SseEvent => ({ type, data, id });

function feedAll(bytes: Buffer, cuts: number[]): { events: SseEvent[]; dropped: number } {
  const p = new SseParser();
  const events: SseEvent[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    events.push(...p.pushEvents(bytes.subarray(from, c)));
    from = c;
  }
  p.end();
  return { events, dropped: p.droppedBytes };
}

/** Asserts the same events (and dropped tail) for: one read, every two-read cut, one byte per read. */
function check(input: string | Buffer, expected: SseEvent[], dropped = 0): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  assert.deepEqual(feedAll(bytes, []), { events: expected, dropped }, 'one read');
  for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(feedAll(bytes, [cut]), { events: expected, dropped }, `cut at byte ${cut}`);
  assert.deepEqual(feedAll(bytes, Array.from({ length: bytes.length }, (_, i) => i)), { events: expected, dropped }, 'one byte per read');
}

test('line ends: LF, CRLF, CR and mixtures frame the same events', () => {
  check('data: a\n\ndata: b\n\n', [ev('a'), ev('b')]);
  check('data: a\r\n\r\ndata: b\r\n\r\n', [ev('a'), ev('b')]);
  check('data: a\r\rdata: b\r\r', [ev('a'), ev('b')]);
  check('data: a\r\n\ndata: b\n\r\ndata: c\r\r\n', [ev('a'), ev('b'), ev('c')]);
  // "\r\n" is one line end, never a CR line end followed by an empty line (whatwg/html#4411).
  check('data: 1\rdata: 2\r\n', [], '1\n2'.length + 1);
});

test('multi-line data joins with LF; an empty data line adds an empty line; data alone counts', () => {
  check('data: a\ndata: b\n\n', [ev('a\nb')]);
  check('data: a\ndata:\ndata: b\n\n', [ev('a\n\nb')]);
  check('data\n\n', [ev('')]);
  check('data:\n\n', [ev('')]);
  check('data:  two spaces\n\n', [ev(' two spaces')], 0);
});

test('comments and control-only blocks dispatch nothing; event/id/retry are read as the standard says', () => {
  check(': ping\n\n:\n\n: x\ndata: a\n: y\n\n', [ev('a')]);
  check('retry: 3000\n\nid: 1\n\nevent: x\n\ndata: a\n\n', [ev('a', 'message', '1')]);
  check('event: delta\ndata: a\n\ndata: b\n\n', [ev('a', 'delta'), ev('b')]);
  check('id: 5\ndata: a\n\nid\ndata: b\n\nid: x\u0000y\ndata: c\n\n', [ev('a', 'message', '5'), ev('b'), ev('c')]);
  check('dataX: a\ndata : b\nDATA: c\n\n', []);
  const r = new SseParser();
  r.push('retry: 250\n\nretry: 1x\n\n');
  const reader = (r as unknown as { reader: SseByteReader }).reader;
  assert.equal(reader.retryMs, 250, 'retry with digits only is taken; an invalid one is ignored');
});

test('BOM: one leading UTF-8 BOM is skipped (even cut across reads); a second one or a later one is content', () => {
  check(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: a\n\n')]), [ev('a')]);
  // A second BOM makes the first line's field name "\uFEFFdata": an unknown field, ignored.
  check(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from('data: a\n\ndata: b\n\n')]), [ev('b')]);
  check('data: \uFEFFa\n\n', [ev('\uFEFFa')]);
  // Bytes that start like a BOM but are not one stay part of the first line.
  check(Buffer.concat([Buffer.from([0xef, 0xbb]), Buffer.from('x\n\ndata: a\n\n')]), [ev('a')]);
});

test('UTF-8 characters cut across reads survive; U+2028 inside data is not a line end', () => {
  check('data: {"t":"Ok — ünïcode 思考 \u2028 \u2029"}\n\n', [ev('{"t":"Ok — ünïcode 思考 \u2028 \u2029"}')]);
});

test('trailing partial event at EOF is discarded (the standard\'s rule), and its size reported', () => {
  check('data: a\n\ndata: b', [ev('a')], 'data: b'.length);
  check('data: a\n\ndata: b\n', [ev('a')], 'b'.length + 1);
  check('data: a\n\ndata: b\r', [ev('a')], 'b'.length + 1);
  check('data: a\n\n: comment at the end', [ev('a')], ': comment at the end'.length);
  check('data: a\n\n', [ev('a')], 0);
});

test('the event cap stops a hostile line or event with a clear error naming the setting; the cap is exact', () => {
  const p = new SseParser(1024);
  assert.deepEqual(p.push(`data: ${'x'.repeat(1024)}\n\n`), ['x'.repeat(1024)], 'an event of exactly the cap passes');
  const q = new SseParser(1024);
  assert.throws(() => q.push(`data: ${'x'.repeat(1025)}\n\n`), (e: unknown) => e instanceof SseLimitError && /1 KiB limit \(setting deepseek\.stream\.maxEventBytes, CLI --max-event-bytes\)/.test(e.message));
  // A line without a newline, fed in small reads, fails once it passes the cap (not at the end of the stream).
  const r = new SseParser(1024);
  let thrown = -1;
  for (let i = 0; i < 100; i++) {
    try {
      r.push('y'.repeat(64));
    } catch {
      thrown = i;
      break;
    }
  }
  assert.ok(thrown > 0 && thrown < 20, `failed after ${thrown} reads of 64 bytes`);
  // Many data lines: the joined event is capped too.
  const m = new SseParser(1024);
  assert.throws(() => m.push('data: 0123456789\n'.repeat(200)), SseLimitError);
});

test('linear time: a 32 MiB line fed in 64 KiB reads costs about as much per byte as a 2 MiB one', () => {
  const time = (mib: number): number => {
    const r = new SseByteReader({ onSseEvent: () => undefined }, 64 * 1024 * 1024);
    const piece = Buffer.alloc(65536, 0x78);
    const t0 = performance.now();
    r.push(Buffer.from('data: '), 0, 6);
    for (let i = 0; i < mib * 16; i++) r.push(piece, 0, piece.length);
    r.push(Buffer.from('\n\n'), 0, 2);
    assert.equal(r.events, 1);
    return performance.now() - t0;
  };
  time(2);
  const small = Math.min(time(2), time(2));
  const big = Math.min(time(32), time(32));
  // 16× the bytes: a linear reader takes ~16× (allow 3× for noise on a shared machine); a quadratic one takes ~256×.
  assert.ok(big < small * 48 + 50, `2 MiB ${small.toFixed(1)} ms, 32 MiB ${big.toFixed(1)} ms`);
});

test('events past 1 MiB (one long line, or many data lines) arrive intact in 64 KiB reads, and the reader is reused after them', () => {
  const got: string[] = [];
  const r = new SseByteReader({ onSseEvent: (b, s, e) => got.push(b.toString('latin1', s, e)) }, 8 * 1024 * 1024);
  const feed = (text: string): void => {
    const b = Buffer.from(text, 'latin1');
    for (let o = 0; o < b.length; o += 65536) r.push(b, o, Math.min(b.length, o + 65536));
  };
  const long = 'a'.repeat(3 * 1024 * 1024 + 7);
  const lines = Array.from({ length: 40 }, (_, i) => String.fromCharCode(98 + (i % 20)).repeat(65536 + i));
  feed(`data: ${long}\n\n`);
  feed(lines.map((l) => `data: ${l}\n`).join('') + '\n');
  r.reset();
  feed('data: small\n\n');
  assert.equal(got.length, 3);
  assert.ok(got[0] === long, `long line: ${got[0].length} bytes`);
  assert.ok(got[1] === lines.join('\n'), `many lines: ${got[1].length} bytes`);
  assert.equal(got[2], 'small');
});

test('the byte reader hands an event lying inside one read over in place (no copy) and a cut one from its own buffer', () => {
  const seen: { inPlace: boolean; data: string }[] = [];
  // Buffer.alloc: its own ArrayBuffer (Buffer.from may share Node's pool with the reader's buffers).
  const text = 'data: whole\n\ndata: cut';
  const input = Buffer.alloc(text.length);
  input.write(text);
  const r = new SseByteReader({ onSseEvent: (b, s, e) => seen.push({ inPlace: b.buffer === input.buffer, data: b.toString('utf8', s, e) }) });
  r.push(input, 0, input.length);
  const rest = Buffer.from(' here\n\n');
  r.push(rest, 0, rest.length);
  assert.deepEqual(seen, [{ inPlace: true, data: 'whole' }, { inPlace: false, data: 'cut here' }]);
  // Reset for a reused connection: no state leaks into the next response.
  r.push(Buffer.from('data: half'), 0, 10);
  r.reset();
  r.push(Buffer.from('data: next\n\n'), 0, 12);
  assert.equal(seen.at(-1)!.data, 'next');
});
