import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { SseParser, type SseEvent } from '../../src/core/openai/sseParser';
import { streamChat, OpenAIError } from '../../src/core/openai/chatStream';
import { RawHttpPool } from '../../src/core/bench/rawHttpClient';
import { sendStreaming } from '../../src/core/bench/streamClient';
import { newTrace, type RequestTrace } from '../../src/core/bench/trace';
import { runBenchmark } from '../../src/core/bench/runBenchmark';

// Fault kind: SSE framing (issue 1/8 §5). test/field/sse holds one folder per case seen in real servers' bug reports:
// input.bin (the response body, byte for byte), expected.json (the events by the WHATWG rules, what the chat shows,
// what the benchmark records) and source.txt (the public report). Each case runs through the reader itself, the chat
// client, the benchmark's raw HTTP client and its undici client, served by a real HTTP server in several writes.

const ROOT = path.resolve(__dirname, '../../../test/field/sse');
interface Expected {
  events: SseEvent[];
  droppedBytes: number;
  chat: { content?: string; reasoning?: string; error?: string };
  bench: { success: boolean; chunks: number; textChunks: number; error?: string };
}
const cases = fs.readdirSync(ROOT).filter((d) => fs.statSync(path.join(ROOT, d)).isDirectory()).sort().map((name) => ({
  name,
  input: fs.readFileSync(path.join(ROOT, name, 'input.bin')),
  expected: JSON.parse(fs.readFileSync(path.join(ROOT, name, 'expected.json'), 'utf8')) as Expected,
  source: fs.readFileSync(path.join(ROOT, name, 'source.txt'), 'utf8').trim(),
}));

test('the corpus has its cases, each with a public source', () => {
  assert.ok(cases.length >= 14, `${cases.length} cases`);
  for (const c of cases) assert.match(c.source, /https?:\/\/|vllm\//, c.name);
});

test('reader: each corpus stream gives the expected events, read whole, cut at every byte, and one byte per read', () => {
  for (const c of cases) {
    const run = (cuts: number[]): { events: SseEvent[]; dropped: number } => {
      const p = new SseParser();
      const events: SseEvent[] = [];
      let from = 0;
      for (const k of [...cuts, c.input.length]) {
        events.push(...p.pushEvents(c.input.subarray(from, k)));
        from = k;
      }
      p.end();
      return { events, dropped: p.droppedBytes };
    };
    const want = { events: c.expected.events, dropped: c.expected.droppedBytes };
    assert.deepEqual(run([]), want, c.name);
    for (let k = 0; k <= c.input.length; k++) assert.deepEqual(run([k]), want, `${c.name} cut at ${k}`);
    assert.deepEqual(run(Array.from({ length: c.input.length }, (_, i) => i)), want, `${c.name} byte by byte`);
  }
});

/** Serves the case's bytes as an SSE body (chunked, in three writes at odd places) for every POST; /v1/models too. */
async function serve(body: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const a = Math.floor(body.length / 3);
      const b = Math.floor((2 * body.length) / 3) + 1;
      res.write(body.subarray(0, a));
      setImmediate(() => {
        res.write(body.subarray(a, b));
        setImmediate(() => res.end(body.subarray(b)));
      });
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

function checkTrace(name: string, t: RequestTrace, want: Expected['bench']): void {
  assert.equal(t.success, want.success, `${name}: success (error: ${t.error})`);
  assert.equal(t.chunks, want.chunks, `${name}: token chunks`);
  assert.equal(Array.from(t.textFlags.subarray(0, t.chunks)).filter((x) => x === 1).length, want.textChunks, `${name}: chunks with text`);
  if (want.error) assert.equal(t.error, want.error, name);
}

test('chat client: each corpus stream shows the expected answer and reasoning, or the expected error', async () => {
  for (const c of cases) {
    const s = await serve(c.input);
    try {
      const want = c.expected.chat;
      const got = await streamChat({ baseUrl: s.url, model: 'm', prompt: 'hi', maxTokens: 8, reasoningModel: false }).then(
        (r) => ({ content: r.content, reasoning: r.reasoning }),
        (e: unknown) => {
          assert.ok(e instanceof OpenAIError, `${c.name}: ${String(e)}`);
          return { error: e.message, content: e.partial.content };
        },
      );
      if (want.error) {
        assert.ok('error' in got && got.error?.includes(want.error), `${c.name}: ${JSON.stringify(got)}`);
        assert.equal(got.content, want.content, c.name);
      } else assert.deepEqual(got, { content: want.content, reasoning: want.reasoning }, c.name);
    } finally {
      await s.close();
    }
  }
});

test('benchmark raw client and undici client: each corpus stream gives the expected token chunks and outcome', async () => {
  for (const c of cases) {
    const s = await serve(c.input);
    const u = new URL(s.url);
    const raw = new RawHttpPool(u.hostname, Number(u.port), u.host);
    const pool = new Pool(s.url, { connections: 1 });
    try {
      for (let k = 0; k < 2; k++) {
        // Twice on one kept-alive connection: no reader state may leak from one response into the next.
        const t = newTrace(k, 1, 8);
        await raw.send('/v1/chat/completions', { 'content-type': 'application/json' }, Buffer.from('{}'), t);
        checkTrace(`${c.name} raw #${k}`, t, c.expected.bench);
      }
      const t = newTrace(0, 1, 8);
      await sendStreaming(pool, { path: '/v1/chat/completions', body: '{}', headers: { 'content-type': 'application/json' } }, t);
      checkTrace(`${c.name} undici`, t, c.expected.bench);
    } finally {
      raw.close();
      await pool.close();
      await s.close();
    }
  }
});

test('the sse-starlette CRLF stream benchmarks with every request successful (it used to count 0 successes)', async () => {
  const c = cases.find((x) => x.name === 'crlf-sse-starlette')!;
  const s = await serve(c.input);
  try {
    for (const transport of ['raw', 'undici'] as const) {
      const run = await runBenchmark({
        baseUrl: s.url, backend: 'openai-chat', model: 'm', transport,
        requests: Array.from({ length: 8 }, () => ({ prompt: 'hi', promptLen: 1, outputLen: 3 })),
        random: { numPrompts: 8, inputLen: 1, outputLen: 3, rangeRatio: 0, prefixLen: 0, seed: 0 },
        requestRate: Infinity, burstiness: 1, maxConcurrency: 4, numWarmups: 1, ignoreEos: false,
        percentileMetrics: ['ttft'], metricPercentiles: [99], mode: 'vllm',
      });
      assert.equal(run.metrics.completed, 8, `${transport}: ${JSON.stringify(run.metrics.errors)}`);
      assert.equal(run.metrics.failed, 0, transport);
    }
  } finally {
    await s.close();
  }
});
