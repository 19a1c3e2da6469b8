import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { startSimulator, stopSimulators } from '../helpers/simulatorProcess';
import { parsePromptsFile, responsesPathFor, runPrompts, type TaggedPrompt } from '../../src/core/chat/promptsFile';
import { streamChat } from '../../src/core/openai/chatStream';

after(stopSimulators);

test('prompts files: JSON array, {"prompts": …} and JSONL; errors name the file and the line or item', () => {
  assert.deepEqual(parsePromptsFile('[{"tag":"gw","prompt":"Explain gravitational waves."},"plain"]', 'p.json'), [
    { tag: 'gw', prompt: 'Explain gravitational waves.', system: undefined },
    { tag: '2', prompt: 'plain' },
  ]);
  assert.equal(parsePromptsFile('{"prompts":[{"id":7,"text":"x"}]}', 'p.json')[0].tag, '7');
  assert.equal(parsePromptsFile('{"tag":"a","prompt":"1"}\n\n{"tag":"b","prompt":"2","system":"s"}\n', 'p.jsonl')[1].system, 's');
  assert.throws(() => parsePromptsFile('{"tag":"a","prompt":"1"}\n{"tag":"b" "prompt":"2"}\n', 'p.jsonl'), /^PromptsFileError: p\.jsonl:2: not valid JSON/);
  assert.throws(() => parsePromptsFile('[{"tag":"a"}]', 'p.json'), /p\.json:item 0: missing "prompt"/);
  assert.throws(() => parsePromptsFile('[{"tag":"a","prompt":"1"},{"tag":"a","prompt":"2"}]', 'p.json'), /tag "a" appears twice/);
  assert.equal(responsesPathFor('/w/input_prompts.json'), '/w/input_prompts.responses.json');
  assert.equal(responsesPathFor('/w/p.jsonl'), '/w/p.responses.json');
});

test('batch prompts against the simulator: at most N in flight, answers matched by tag, a failure recorded, cancel keeps finished answers', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-prompts-'));
  const replies = path.join(dir, 'replies.json');
  fs.writeFileSync(replies, JSON.stringify([{ match: 'ping', reasoning: 'Trivial.', answer: 'pong' }]));
  const port = 18981;
  await startSimulator(port, ['--startup-speed', '1000', '--exact-ttft-ms', '30', '--exact-itl-ms', '5', '--replies', replies], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1']);
  const items: TaggedPrompt[] = Array.from({ length: 12 }, (_, i) => ({ tag: `t${i}`, prompt: i === 5 ? 'this one fails' : `ping ${i}` }));
  let inflight = 0;
  let maxInflight = 0;
  const send = async (item: TaggedPrompt, signal: AbortSignal) => {
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    try {
      // Prompt t5 goes to a model the server does not serve: an HTTP 404 from the engine, recorded, not fatal.
      const r = await streamChat({ baseUrl: `http://127.0.0.1:${port}`, model: item.tag === 't5' ? 'no-such-model' : 'deepseek-ai/DeepSeek-R1', prompt: item.prompt, maxTokens: 64, signal });
      return { tag: item.tag, prompt: item.prompt, reasoning: r.reasoning, response: r.content };
    } finally {
      inflight--;
    }
  };
  const run = await runPrompts({ items, concurrency: 3, send });
  assert.equal(maxInflight, 3);
  assert.equal(run.cancelled, false);
  assert.deepEqual(run.responses.map((r) => r.tag), items.map((i) => i.tag));
  assert.equal(run.responses[0].response, 'pong');
  assert.equal(run.responses[0].reasoning, 'Trivial.');
  assert.match(run.responses[5].error ?? '', /^HTTP 404: The model `no-such-model` does not exist/);
  assert.equal(run.responses.filter((r) => r.error).length, 1);

  const abort = new AbortController();
  let finished = 0;
  const cancelled = await runPrompts({ items, concurrency: 2, signal: abort.signal, send, onProgress: (done) => { finished = done; if (done === 4) abort.abort(); } });
  assert.equal(cancelled.cancelled, true);
  assert.ok(finished >= 4 && finished < 12);
  assert.ok(cancelled.responses.filter((r) => r.response === 'pong').length >= 3, 'answers finished before cancel are kept');
  assert.equal(cancelled.responses[11].error, 'not sent (cancelled)');
  fs.rmSync(dir, { recursive: true, force: true });
});
