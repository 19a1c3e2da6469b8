import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RawHttpPool } from '../../src/core/bench/rawHttpClient';
import { newPool, sendStreaming } from '../../src/core/bench/streamClient';
import { newTrace } from '../../src/core/bench/trace';
import { OpenAIError, streamChat } from '../../src/core/openai/chatStream';

// A server (or a proxy in front of it) that answers 200 but does not stream: the benchmark's two HTTP clients say what
// came back (the content-type) and the chat also shows the body's start, instead of only vLLM's "Never received a valid
// chunk" sentence, which stays first so results still group the failure with vLLM's. An event stream that carried no
// token chunk keeps vLLM's sentence alone.
const COMPLETION = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }] });
const HTML = `<!doctype html><html><head><title>Sign in</title></head><body>${'x'.repeat(5000)}</body></html>`;

async function server(): Promise<{ url: string; port: number; close: () => void }> {
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url!.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end(COMPLETION);
      else if (req.url!.includes('html')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML);
      else if (req.url!.includes('bare')) res.writeHead(200, {}).end('');
      else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, close: () => s.close() };
}

const BENCH_CASES: [string, RegExp | string][] = [
  ['/json/v1/chat/completions', 'Never received a valid chunk to calculate TTFT. The server answered 200 with content-type application/json, not an event stream (does this endpoint stream? a proxy in between may drop "stream": true)'],
  ['/html/v1/chat/completions', /content-type text\/html; charset=utf-8, not an event stream \(does this endpoint stream\? a proxy in between may drop "stream": true\)$/],
  ['/bare/v1/chat/completions', /The server answered 200 with no content-type, not an event stream/],
  ['/sse/v1/chat/completions', 'Never received a valid chunk to calculate TTFT.'],
];
const CHAT_CASES: [string, RegExp | string][] = [
  ['/json/v1/chat/completions', /^Never received a valid chunk to calculate TTFT\. The server answered 200 with content-type application\/json, not an event stream .*: \{"id":"chatcmpl-1","object":"chat\.completion"/],
  ['/html/v1/chat/completions', /content-type text\/html; charset=utf-8, not an event stream .*: <!doctype html><html><head><title>Sign in<\/title>/],
  ['/bare/v1/chat/completions', /The server answered 200 with no content-type, not an event stream \(does this endpoint stream\? a proxy in between may drop "stream": true\)$/],
  ['/sse/v1/chat/completions', 'Never received a valid chunk to calculate TTFT.'],
];

test('benchmark, raw client (plain http): a 200 that is not an event stream names its content-type', async () => {
  const s = await server();
  const pool = new RawHttpPool('127.0.0.1', s.port, `127.0.0.1:${s.port}`);
  try {
    for (const [path, want] of BENCH_CASES) {
      const t = newTrace(0, 1, 8);
      await pool.send(path, { 'content-type': 'application/json' }, Buffer.from('{}'), t);
      assert.equal(t.success, false, path);
      if (typeof want === 'string') assert.equal(t.error, want, path);
      else assert.match(t.error ?? '', want, path);
    }
  } finally {
    pool.close();
    s.close();
  }
});

test('benchmark, undici client (https / transport undici): the same message', async () => {
  const s = await server();
  const pool = newPool(s.url, 2);
  try {
    for (const [path, want] of BENCH_CASES) {
      const t = newTrace(0, 1, 8);
      await sendStreaming(pool, { path, body: '{}', headers: { 'content-type': 'application/json' } }, t);
      assert.equal(t.success, false, path);
      if (typeof want === 'string') assert.equal(t.error, want, path);
      else assert.match(t.error ?? '', want, path);
    }
  } finally {
    await pool.close();
    s.close();
  }
});

test('chat: a 200 JSON answer (proxy dropped "stream": true) fails with the content-type and the body start', async () => {
  const s = await server();
  try {
    for (const [prefix, want] of CHAT_CASES) {
      const base = `${s.url}${prefix.replace('/v1/chat/completions', '')}`;
      await assert.rejects(streamChat({ baseUrl: base, model: 'm', prompt: 'hi', maxTokens: 8 }), (e: unknown) => {
        assert.ok(e instanceof OpenAIError);
        if (typeof want === 'string') assert.equal(e.message, want, prefix);
        else assert.match(e.message, want, prefix);
        assert.ok(e.message.length < 500, 'the body is cut, not copied whole');
        return true;
      });
    }
  } finally {
    s.close();
  }
});
