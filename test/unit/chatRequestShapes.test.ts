import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findModel } from '../../src/core/plan/catalog';
import { thinkingRequestFields, thinks, type ThinkingLevel } from '../../src/core/chat/thinkingControl';
import { DEFAULT_CHAT_SETTINGS, conversationToMarkdown, requestMessages, type AssistantMessage, type Conversation } from '../../src/core/chat/conversation';
import { parseChatTools } from '../../src/core/chat/chatTools';
import { streamChat } from '../../src/core/openai/chatStream';
import { MAX_TOOL_CALL_CHARS } from '../../src/core/openai/streamLimits';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { dialectFor } from '../../src/simulator/dialect';
import { EngineClock } from '../../src/simulator/engineClock';
import { createSimServer } from '../../src/simulator/server';
import { simulatedModel, type Json } from '../../src/simulator/serverContext';

// What the chat sends per model family and thinking level, and the history it sends back after a tool call, checked
// in the simulator's request log (`--request-log`): shared/reference/deepseek-family.md §4.2 (switches), §4.3
// (reasoning passback), §5.2 (tool-call streaming).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-chat-shapes-'));
const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
after(() => {
  servers.forEach((s) => { s.closeAllConnections(); s.close(); });
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Sim { base: string; model: string; requests: () => Json[] }
let n = 0;

/** An in-process simulator as the recipes launch the model, with its parsers, logging every request body. */
async function start(model: string, flavor: 'vllm' | 'sglang'): Promise<Sim> {
  const m = findModel(model)!;
  const argv = flavor === 'vllm'
    ? ['vllm', 'serve', model, '--tensor-parallel-size', '8', '--reasoning-parser', m.parsers.vllm.reasoning ?? 'deepseek_r1', '--tool-call-parser', m.parsers.vllm.tool ?? 'none', '--enable-auto-tool-choice']
    : ['python3', '-m', 'sglang.launch_server', '--model-path', model, '--tp', '8', '--reasoning-parser', m.parsers.sglang.reasoning ?? 'deepseek-r1', '--tool-call-parser', m.parsers.sglang.tool ?? 'none'];
  const cfg = parseEngineCommand(argv);
  const log = path.join(tmp, `requests-${n++}.jsonl`);
  const s = createSimServer({
    cfg, dialect: dialectFor(flavor, flavor === 'vllm' ? m.minVersion.vllm : undefined), maxModelLen: 1_048_576, kvTokenCapacity: 4e6, model: simulatedModel(model),
    sim: { speed: 1, startupSpeed: 1, failRate: 0, disconnectRate: 0, seed: 5, requestLog: log }, clock: new EngineClock({ kind: 'exact', ttftMs: 0, itlMs: 0 }), simulatorVersion: 'test', ready: true,
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const requests = (): Json[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { body: Json }).body) : []);
  return { base: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, model, requests };
}

/** One chat request the way the chat panel makes it: the level's fields, and tools when any are defined. */
function ask(sim: Sim, messages: Parameters<typeof streamChat>[0]['messages'], level: ThinkingLevel | undefined, tools: unknown[] = []) {
  const model = findModel(sim.model)!;
  return streamChat({
    baseUrl: sim.base, model: sim.model, messages, maxTokens: 1000,
    extraBody: { ...(level ? thinkingRequestFields(model, level) : {}), ...(tools.length ? { tools } : {}) },
    thinking: level ? thinks(level) : undefined,
  });
}

/** The request fields each family needs per level (reference §4.2), sent explicitly because engines' defaults differ. */
const SHAPES: { model: string; level: ThinkingLevel; fields: Json }[] = [
  { model: 'deepseek-ai/DeepSeek-V3.1', level: 'off', fields: { chat_template_kwargs: { thinking: false } } },
  { model: 'deepseek-ai/DeepSeek-V3.1', level: 'on', fields: { chat_template_kwargs: { thinking: true } } },
  { model: 'deepseek-ai/DeepSeek-V3.2', level: 'off', fields: { chat_template_kwargs: { thinking: false } } },
  { model: 'deepseek-ai/DeepSeek-V3.2', level: 'on', fields: { chat_template_kwargs: { thinking: true } } },
  { model: 'deepseek-ai/DeepSeek-V4-Flash', level: 'off', fields: { chat_template_kwargs: { thinking: false } } },
  { model: 'deepseek-ai/DeepSeek-V4-Flash', level: 'high', fields: { chat_template_kwargs: { thinking: true, reasoning_effort: 'high' } } },
  { model: 'deepseek-ai/DeepSeek-V4-Flash', level: 'max', fields: { chat_template_kwargs: { thinking: true, reasoning_effort: 'max' } } },
  { model: 'deepseek-ai/DeepSeek-V4-Pro', level: 'max', fields: { chat_template_kwargs: { thinking: true, reasoning_effort: 'max' } } },
  { model: 'deepseek-ai/DeepSeek-V4.1-Flash', level: 'off', fields: { chat_template_kwargs: { thinking: false }, reasoning_effort: 'none' } },
  { model: 'deepseek-ai/DeepSeek-V4.1-Flash', level: 'xhigh', fields: { chat_template_kwargs: { thinking: true, reasoning_effort: 'xhigh' }, reasoning_effort: 'xhigh' } },
  { model: 'deepseek-ai/DeepSeek-V4.1-Flash', level: 'max', fields: { chat_template_kwargs: { thinking: true, reasoning_effort: 'max' }, reasoning_effort: 'max' } },
];

for (const flavor of ['vllm', 'sglang'] as const) {
  test(`${flavor}: each family's thinking level is sent as its own fields, and off gives an answer without reasoning (engine defaults differ)`, async () => {
    const sims = new Map<string, Sim>();
    const reasoningLength = new Map<string, number>();
    for (const s of SHAPES) {
      if (!sims.has(s.model)) sims.set(s.model, await start(s.model, flavor));
      const sim = sims.get(s.model)!;
      const r = await ask(sim, [{ role: 'user', content: 'How many GPUs for V4?' }], s.level);
      const body = sim.requests().at(-1)!;
      const sent = Object.fromEntries(Object.keys(s.fields).map((k) => [k, body[k]]));
      assert.deepEqual(sent, s.fields, `${s.model} ${s.level}`);
      if (!('reasoning_effort' in s.fields)) assert.equal(body.reasoning_effort, undefined, `${s.model} ${s.level}: no top-level effort`);
      assert.ok(r.content.length > 20, `${s.model} ${s.level}: an answer`);
      if (s.level === 'off') assert.equal(r.reasoning, '', `${s.model} off on ${flavor}: no reasoning (vLLM thinks by default on V4)`);
      else assert.ok(r.reasoning.length > 20, `${s.model} ${s.level}: reasoning`);
      reasoningLength.set(`${s.model} ${s.level}`, r.reasoning.length);
    }
    // Max really asks for more: the model thinks longer than at high.
    assert.ok(reasoningLength.get('deepseek-ai/DeepSeek-V4-Flash max')! > reasoningLength.get('deepseek-ai/DeepSeek-V4-Flash high')!);
    // R1 always thinks: no switch, nothing sent, reasoning all the same.
    const r1 = await start('deepseek-ai/DeepSeek-R1-0528', flavor);
    const r = await ask(r1, [{ role: 'user', content: 'hi' }], undefined);
    const body = r1.requests()[0];
    assert.equal(body.chat_template_kwargs, undefined);
    assert.equal(body.reasoning_effort, undefined);
    assert.ok(r.reasoning.length > 20);
  });
}

const TOOLS = parseChatTools(JSON.stringify([{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]));

/** The conversation after answer `a` ended in tool calls and the user gave each call a result. */
function answered(a: Awaited<ReturnType<typeof streamChat>>, id: string, results: string[]): AssistantMessage {
  return { id, role: 'assistant', reasoning: a.reasoning, content: a.content, state: 'done', model: 'm', endpointLabel: 'e', simulated: true, at: 0, toolCalls: a.toolCalls!.map((c, i) => ({ ...c, result: results[i] })) };
}

test('Continue after a V4 tool call sends the call, its reasoning and a tool message; the model answers; V4 keeps every turn\'s reasoning while tools are defined', async () => {
  const sim = await start('deepseek-ai/DeepSeek-V4-Flash', 'vllm');
  const passback = { passback: findModel(sim.model)!.reasoningPassback, toolsDefined: true };
  const conv: Conversation = { id: 'c', title: 't', createdAt: 0, messages: [{ id: 'u1', role: 'user', text: 'Weather in Paris?', at: 0 }] };
  const first = await ask(sim, requestMessages(conv, DEFAULT_CHAT_SETTINGS, sim.model, passback), 'high', TOOLS);
  assert.equal(first.finishReason, 'tool_calls');
  assert.equal(first.content.trim(), '');
  assert.equal(first.toolCalls?.length, 1);
  assert.equal(first.toolCalls[0].name, 'get_weather');
  assert.deepEqual(JSON.parse(first.toolCalls[0].arguments), { city: 'Paris' });
  assert.ok(first.reasoning.length > 20, 'V4 at high reasons before the call');
  conv.messages.push(answered(first, 'a1', ['{"temp_c": 18}']));

  // Continue: the history the chat sends back.
  const second = await ask(sim, requestMessages(conv, DEFAULT_CHAT_SETTINGS, sim.model, passback), 'high', TOOLS);
  const sent = sim.requests()[1].messages as Json[];
  assert.deepEqual(sent, [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: first.content, reasoning: first.reasoning, reasoning_content: first.reasoning, tool_calls: [{ id: first.toolCalls[0].id, type: 'function', function: { name: 'get_weather', arguments: first.toolCalls[0].arguments } }] },
    { role: 'tool', tool_call_id: first.toolCalls[0].id, content: '{"temp_c": 18}' },
  ]);
  assert.equal(second.finishReason, 'stop', 'after a tool result the model answers');
  assert.ok(second.content.length > 20);
  assert.equal(second.toolCalls, undefined);
  conv.messages.push({ id: 'a2', role: 'assistant', reasoning: second.reasoning, content: second.content, state: 'done', model: 'm', endpointLabel: 'e', simulated: true, at: 0 });

  // A new user turn with tools still defined: both earlier turns' reasoning goes back (V4 interleaved thinking).
  conv.messages.push({ id: 'u2', role: 'user', text: 'And tomorrow?', at: 0 });
  await ask(sim, requestMessages(conv, DEFAULT_CHAT_SETTINGS, sim.model, passback), 'high', TOOLS);
  const third = sim.requests()[2].messages as Json[];
  assert.deepEqual(third.filter((m) => m.role === 'assistant').map((m) => m.reasoning), [first.reasoning, second.reasoning]);
  // Without tools the same history goes back without reasoning.
  await ask(sim, requestMessages(conv, DEFAULT_CHAT_SETTINGS, sim.model, { ...passback, toolsDefined: false }), 'high');
  assert.ok((sim.requests()[3].messages as Json[]).every((m) => m.reasoning === undefined && m.reasoning_content === undefined));
});

test('Continue on V3.2 keeps reasoning only inside the tool loop; V3.1 never sends it back; calls left unanswered are not sent', async () => {
  for (const model of ['deepseek-ai/DeepSeek-V3.2', 'deepseek-ai/DeepSeek-V3.1']) {
    const sim = await start(model, 'sglang');
    const passback = { passback: findModel(model)!.reasoningPassback, toolsDefined: true };
    const conv: Conversation = { id: 'c', title: 't', createdAt: 0, messages: [{ id: 'u1', role: 'user', text: 'Weather in Paris?', at: 0 }] };
    const first = await ask(sim, requestMessages(conv, DEFAULT_CHAT_SETTINGS, model, passback), 'on', TOOLS);
    assert.equal(first.finishReason, 'tool_calls', model);
    assert.ok(first.reasoning.length > 20, model);
    conv.messages.push(answered(first, 'a1', ['sunny']));
    await ask(sim, requestMessages(conv, DEFAULT_CHAT_SETTINGS, model, passback), 'on', TOOLS);
    const loop = sim.requests()[1].messages as Json[];
    assert.equal(loop[1].reasoning, model.endsWith('V3.2') ? first.reasoning : undefined, `${model}: reasoning inside the tool loop`);
    assert.deepEqual(loop[2], { role: 'tool', tool_call_id: first.toolCalls![0].id, content: 'sunny' });
    conv.messages.push({ id: 'u2', role: 'user', text: 'Thanks', at: 0 });
    const after = requestMessages(conv, DEFAULT_CHAT_SETTINGS, model, passback);
    assert.ok(after.every((m) => m.reasoning === undefined), `${model}: a new user turn ends the loop`);
  }
  // The user wrote a new message instead of answering the call: the unanswered call does not go back.
  const conv: Conversation = { id: 'c', title: 't', createdAt: 0, messages: [
    { id: 'u1', role: 'user', text: 'Weather?', at: 0 },
    { id: 'a1', role: 'assistant', reasoning: '', content: '', state: 'done', model: 'm', endpointLabel: 'e', simulated: true, at: 0, toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }] },
    { id: 'u2', role: 'user', text: 'Never mind', at: 0 },
  ] };
  const wire = requestMessages(conv, DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-V4-Flash', { passback: 'with-tools', toolsDefined: true });
  assert.deepEqual(wire, [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: '' }, { role: 'user', content: 'Never mind' }]);
  // The Markdown export shows the call folded, with its arguments and what became of it.
  const md = conversationToMarkdown(conv);
  assert.match(md, /<details><summary>Tool call: get_weather<\/summary>\n\n```json\n\{\}\n```\n\n_No result given\._\n\n<\/details>/);
  (conv.messages[1] as AssistantMessage).toolCalls![0].result = 'sunny';
  assert.match(conversationToMarkdown(conv), /```json\n\{\}\n```\n\nResult:\n\n```text\nsunny\n```/);
});

test('tools JSON from the chat settings: checked with the field at fault named; empty means none', () => {
  assert.deepEqual(parseChatTools('  '), []);
  assert.equal(parseChatTools(JSON.stringify([{ type: 'function', function: { name: 'a_b-1' } }]))[0].function.name, 'a_b-1');
  assert.throws(() => parseChatTools('[{"type": "function", '), /^Error: tools: not valid JSON/);
  assert.throws(() => parseChatTools('{"type": "function"}'), /^Error: tools: .*expected a JSON array/);
  assert.throws(() => parseChatTools('[{"type": "function", "function": {"name": "<img src=x>"}}]'), /^Error: tools\[0\]\.function\.name: letters, digits, _ and - only/);
  assert.throws(() => parseChatTools('[{"type": "function", "function": {"name": "ok"}}, {"type": "retrieval", "function": {"name": "x"}}]'), /^Error: tools\[1\]\.type:/);
  assert.throws(() => parseChatTools('[{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "a"}}]'), /tools\[1\]\.function\.name: "a" is defined twice/);
});

test('a server that streams tool-call arguments without end is cut off at the cap with a clear error', async () => {
  const piece = 'x'.repeat(60_000);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] } }] })}\n\n`);
    let sent = 0;
    const more = (): void => {
      // Far past the cap if nobody stopped reading; the client closes the connection first.
      while (sent < 2 * MAX_TOOL_CALL_CHARS / piece.length && !res.destroyed) {
        sent++;
        if (!res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] } }] })}\n\n`)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await assert.rejects(
    streamChat({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: 'deepseek-ai/DeepSeek-V4-Flash', prompt: 'x', maxTokens: 10 }),
    new RegExp(`more than ${MAX_TOOL_CALL_CHARS} characters of tool calls in one answer`),
  );
});
