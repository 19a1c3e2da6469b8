import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RawHttpPool } from '../../src/core/bench/rawHttpClient';
import { newTrace } from '../../src/core/bench/trace';
import { OpenAIError, streamChat } from '../../src/core/openai/chatStream';
import { redactText } from '../../src/core/security/redact';

// Attacks on the "200 that is not an event stream" error (noTokenChunkMessage, cappedBody.ts): a hostile server
// answers 200 with a body or content-type chosen to hurt where the message lands — a chat error (shown in the webview,
// kept in history, printed by the CLI: all redact the API key, but only where the key is whole) and a benchmark failure
// (CLI printout, result files). A raw TCP server sends exactly the bytes under test.

const KEY = 'sk-live-9f8e7d6c5b4a3210fedcba9876543210';

async function rawServer(head: Buffer | string, body: Buffer | string): Promise<{ port: number; url: string; close: () => void }> {
  const s = net.createServer((sock) => {
    sock.once('data', () => {
      const b = Buffer.from(body);
      sock.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n`), Buffer.from(head), Buffer.from(`\r\ncontent-length: ${b.length}\r\nconnection: close\r\n\r\n`), b]));
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}`, close: () => s.close() };
}

/** The chat's error for a server answering `body`, as the chat history and the CLI keep it (redacted with the key). */
async function chatError(body: string): Promise<string> {
  const s = await rawServer('content-type: application/json', body);
  try {
    let msg = '';
    await assert.rejects(streamChat({ baseUrl: s.url, model: 'm', prompt: 'hi', maxTokens: 8, apiKey: KEY }), (e: unknown) => {
      assert.ok(e instanceof OpenAIError);
      msg = e.message;
      return true;
    });
    return redactText(msg, [KEY]);
  } finally {
    s.close();
  }
}

const leaks = (msg: string): string[] => {
  const forms = [KEY, encodeURIComponent(KEY), Buffer.from(KEY).toString('base64')];
  return forms.filter((f) => msg.includes(f.slice(0, 4)));
};

test('key-leak fault: an echoed API key cut by the 200-character limit of the shown body leaves none of its characters in the chat error', async () => {
  // Folded, the body's start puts the key at characters 189–227: the cut at 200 would keep its first 11.
  const msg = await chatError(`{"echo":"${'a'.repeat(180)}${KEY}","more":"${'b'.repeat(400)}"}`);
  assert.match(msg, /not an event stream .*: \{"echo":"a+/);
  assert.deepEqual(leaks(msg), [], msg);
});

test('key-leak fault: an echoed API key (plain or base64) cut by the body byte limit leaves none of its characters in the chat error', async () => {
  // Blanks fold to one: the key, from byte 290 (or its base64 form), straddles the 300 bytes the chat kept.
  for (const form of [KEY, Buffer.from(KEY).toString('base64')]) {
    const msg = await chatError(`{"a":${' '.repeat(285)}${form}${' '.repeat(50)}"tail"}`);
    assert.match(msg, /not an event stream .*: \{"a":/);
    assert.deepEqual(leaks(msg), [], msg);
  }
});

const UNSAFE = /[\p{Cc}\p{Cf}]/u;

test('terminal-escape fault: ESC sequences and bidi overrides in a 200 body do not reach the chat error line', async () => {
  const msg = await chatError(`{"x":"\x1b]0;pwned\x07\x1b[2J\u202Egnp.exe\u2066"}`);
  assert.match(msg, /not an event stream .*: \{"x":"/);
  assert.doesNotMatch(msg, UNSAFE, JSON.stringify(msg));
});

test('terminal-escape fault: a content-type with ESC and C1 bytes does not reach the benchmark failure (raw client), which results and the CLI print', async () => {
  // A raw server puts ESC and the UTF-8 bytes of U+202E (read as latin1: C1 control 0x80) in the header value.
  const head = Buffer.concat([Buffer.from('content-type: text/html\x1b[31m'), Buffer.from('\u202E', 'utf8')]);
  const s = await rawServer(head, '<html></html>');
  const pool = new RawHttpPool('127.0.0.1', s.port, `127.0.0.1:${s.port}`);
  try {
    const t = newTrace(0, 1, 8);
    await pool.send('/v1/completions', { 'content-type': 'application/json' }, Buffer.from('{}'), t);
    assert.equal(t.success, false);
    assert.match(t.error ?? '', /content-type text\/html\uFFFD\[31m/);
    assert.doesNotMatch(t.error ?? '', UNSAFE, JSON.stringify(t.error));
  } finally {
    pool.close();
    s.close();
  }
});
