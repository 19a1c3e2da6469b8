import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { OpenAIError, streamChat } from '../../src/core/openai/chatStream';

// Fault kind: a broken stream reported in words a user misreads. A server that drops the connection mid-answer (an
// engine crash, a proxy restart) was reported by node:http as "aborted", which reads like the user's own cancel; the
// chat says the server closed the connection and keeps the partial answer.

const chunk = (text: string): string => {
  const ev = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
  return `${Buffer.byteLength(ev).toString(16)}\r\n${ev}\r\n`;
};

test('a server that closes the connection after two tokens: "the server closed the connection before the response ended", partial answer kept', async () => {
  const s = net.createServer((sock) => {
    sock.once('data', () => {
      sock.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n' + chunk('Hel') + chunk('lo'));
      setTimeout(() => sock.destroy(), 50);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  try {
    const err = await streamChat({ baseUrl: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, model: 'm', prompt: 'hi', maxTokens: 8, reasoningModel: false }).then(
      () => assert.fail('a cut stream must fail'),
      (e: unknown) => e as OpenAIError,
    );
    assert.ok(err instanceof OpenAIError);
    assert.equal(err.message, 'The stream broke: the server closed the connection before the response ended');
    assert.doesNotMatch(err.message, /aborted|cancel/i);
    assert.equal(err.partial?.content, 'Hello');
  } finally {
    s.close();
  }
});
