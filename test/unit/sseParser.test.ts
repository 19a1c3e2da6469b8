import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../src/core/openai/sseParser';

const STREAM =
  ': ping\n\n' +
  'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n' +
  'data:{"choices":[{"delta":{"reasoning":"Ok — ünïcode 思考"}}]}\r\n\r\n' +
  'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n' +
  'data: [DONE]\n\n';
const EXPECTED = [
  '{"choices":[{"delta":{"role":"assistant","content":""}}]}',
  '{"choices":[{"delta":{"reasoning":"Ok — ünïcode 思考"}}]}',
  '{"choices":[{"delta":{"content":"Hi"}}]}',
  '[DONE]',
];

test('events come out whole wherever the byte stream is cut (incl. inside UTF-8 and CRLF)', () => {
  const bytes = new TextEncoder().encode(STREAM);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const p = new SseParser();
    const got = [...p.push(bytes.slice(0, cut)), ...p.push(bytes.slice(cut)), ...p.end()];
    assert.deepEqual(got, EXPECTED, `cut at byte ${cut}`);
  }
});

test('merged events in one read and a final event without its blank line', () => {
  const p = new SseParser();
  assert.deepEqual([...p.push('data: a\n\ndata: b\n\ndata: c'), ...p.end()], ['a', 'b', 'c']);
});
