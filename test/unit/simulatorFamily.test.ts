import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { dialectFor } from '../../src/simulator/dialect';
import { EngineClock } from '../../src/simulator/engineClock';
import { createSimServer } from '../../src/simulator/server';
import { simulatedModel, type ServerContext } from '../../src/simulator/serverContext';
import { SseParser } from '../../src/core/openai/sseParser';
import { pickCalibration } from '../../src/simulator/calibration';

// The DeepSeek family in both dialects, each with its real parser behaviour (shared/reference/deepseek-family.md §4–§5).
const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
after(() => servers.forEach((s) => { s.closeAllConnections(); s.close(); }));
const CLI = path.resolve(__dirname, '../../../dist/cli.js');

interface Started { base: string; logs: string[] }

async function start(argv: string[], version?: string): Promise<Started> {
  const cfg = parseEngineCommand(argv);
  const logs: string[] = [];
  const ctx: ServerContext = {
    cfg, dialect: dialectFor(cfg.flavor, version), maxModelLen: cfg.maxModelLen ?? 1_048_576, kvTokenCapacity: 4_000_000,
    sim: { speed: 1, startupSpeed: 1, failRate: 0, disconnectRate: 0, seed: 3 }, model: simulatedModel(cfg.model),
    clock: new EngineClock({ kind: 'exact', ttftMs: 0, itlMs: 0 }), simulatorVersion: 'test', ready: true, log: (l) => logs.push(l),
  };
  const s = createSimServer(ctx);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, logs };
}

/** Each family member as the recipes launch it (reference §3.2/§3.3), with and without its parsers. */
const MEMBERS = [
  { id: 'deepseek-ai/DeepSeek-V3.1', vllm: '0.12.0', vr: 'deepseek_v3', vt: 'deepseek_v31', sr: 'deepseek-v3', st: 'deepseekv31', raw: '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{', thinksByDefault: { vllm: false, sglang: false } },
  { id: 'deepseek-ai/DeepSeek-V3.2', vllm: '0.18.0', vr: 'deepseek_v3', vt: 'deepseek_v32', sr: 'deepseek-v3', st: 'deepseekv32', raw: '<｜DSML｜function_calls>', thinksByDefault: { vllm: false, sglang: false } },
  { id: 'deepseek-ai/DeepSeek-V4-Flash', vllm: '0.20.0', vr: 'deepseek_v4', vt: 'deepseek_v4', sr: 'deepseek-v4', st: 'deepseekv4', raw: '<｜DSML｜tool_calls>', thinksByDefault: { vllm: true, sglang: false } },
  { id: 'deepseek-ai/DeepSeek-V4-Pro', vllm: '0.25.0', vr: 'deepseek_v4', vt: 'deepseek_v4', sr: 'deepseek-v4', st: 'deepseekv4', raw: '<｜DSML｜tool_calls>', thinksByDefault: { vllm: true, sglang: false } },
  { id: 'deepseek-ai/DeepSeek-V4.1-Flash', vllm: '0.30.0', vr: 'deepseek_v41', vt: 'deepseek_v41', sr: 'auto', st: 'auto', raw: '<｜DSML｜ calls>', thinksByDefault: { vllm: true, sglang: false } },
] as const;
type Member = (typeof MEMBERS)[number];

const command = (m: Member, flavor: 'vllm' | 'sglang', parsers: boolean): string[] => flavor === 'vllm'
  ? ['vllm', 'serve', m.id, '--tensor-parallel-size', '8', ...(parsers ? ['--reasoning-parser', m.vr, '--tool-call-parser', m.vt, '--enable-auto-tool-choice', '--enable-log-requests'] : [])]
  : ['python3', '-m', 'sglang.launch_server', '--model-path', m.id, '--tp', '8', ...(parsers ? ['--reasoning-parser', m.sr, '--tool-call-parser', m.st] : [])];

type Delta = { content?: string | null; reasoning?: string | null; reasoning_content?: string | null; tool_calls?: unknown };

async function stream(base: string, body: Record<string, unknown>): Promise<{ status: number; deltas: Delta[]; finish: string | null; error?: string }> {
  const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: undefined, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], max_tokens: 600, stream: true, ...body }) });
  if (res.status !== 200) return { status: res.status, deltas: [], finish: null, error: await res.text() };
  const p = new SseParser();
  const events = [...p.push(new Uint8Array(await res.arrayBuffer())), ...p.end()].filter((e) => e !== '[DONE]').map((e) => JSON.parse(e) as { choices: { delta: Delta; finish_reason: string | null }[] });
  const choices = events.flatMap((e) => e.choices);
  return { status: 200, deltas: choices.map((c) => c.delta), finish: choices.at(-1)?.finish_reason ?? null };
}

const errorMessage = (body: string | undefined): string => (JSON.parse(body ?? '{}') as { error: { message: string } }).error.message;
const reasoningOf = (ds: Delta[], field: 'reasoning' | 'reasoning_content'): string => ds.map((d) => d[field] ?? '').join('');
const contentOf = (ds: Delta[]): string => ds.map((d) => d.content ?? '').join('');

for (const flavor of ['vllm', 'sglang'] as const) {
  test(`${flavor}: thinking on/off per request and each engine's default, reasoning in ${flavor === 'vllm' ? '`reasoning`' : '`reasoning_content`'}`, async () => {
    const field = flavor === 'vllm' ? 'reasoning' : 'reasoning_content';
    for (const m of MEMBERS) {
      const { base } = await start(command(m, flavor, true), flavor === 'vllm' ? m.vllm : undefined);
      const on = await stream(base, { chat_template_kwargs: { thinking: true } });
      assert.ok(reasoningOf(on.deltas, field).length > 40, `${m.id}: thinking on gives reasoning`);
      assert.match(contentOf(on.deltas), /### Steps/, m.id);
      assert.ok(!contentOf(on.deltas).includes('think>'), m.id);
      const off = await stream(base, { chat_template_kwargs: { thinking: false } });
      assert.equal(reasoningOf(off.deltas, field), '', `${m.id}: thinking off streams no reasoning`);
      assert.match(contentOf(off.deltas), /### Steps/, `${m.id}: the answer goes to content`);
      const dflt = await stream(base, {});
      assert.equal(reasoningOf(dflt.deltas, field).length > 0, m.thinksByDefault[flavor], `${m.id}: ${flavor} default thinking`);
      // vLLM 0.11.1–0.15 sends both fields with the same text, 0.16 on only `reasoning` (PR #27752, #33402).
      if (flavor === 'vllm' && m.vllm >= '0.16') assert.ok(on.deltas.every((d) => d.reasoning_content === undefined), `${m.id}: vLLM ${m.vllm} sends only \`reasoning\``);
      if (flavor === 'vllm' && m.vllm < '0.16') assert.equal(reasoningOf(on.deltas, 'reasoning_content'), reasoningOf(on.deltas, 'reasoning'), m.id);
    }
  });

  test(`${flavor}: V4 / V4.1 reasoning effort: max thinks longer than high, "none" is chat mode`, async () => {
    const field = flavor === 'vllm' ? 'reasoning' : 'reasoning_content';
    for (const m of MEMBERS.filter((x) => x.id.includes('V4'))) {
      const { base } = await start(command(m, flavor, true), flavor === 'vllm' ? m.vllm : undefined);
      const high = await stream(base, { temperature: 0, chat_template_kwargs: { thinking: true, reasoning_effort: 'high' } });
      const max = await stream(base, { temperature: 0, chat_template_kwargs: { thinking: true, reasoning_effort: 'max' } });
      assert.ok(reasoningOf(max.deltas, field).length > 1.4 * reasoningOf(high.deltas, field).length, m.id);
      const none = await stream(base, { chat_template_kwargs: { reasoning_effort: 'none' } });
      assert.equal(reasoningOf(none.deltas, field), '', m.id);
    }
    const v41 = MEMBERS.find((x) => x.id.endsWith('V4.1-Flash'))!;
    const { base } = await start(command(v41, flavor, true), flavor === 'vllm' ? v41.vllm : undefined);
    // Top-level OpenAI reasoning_effort: SGLang turns thinking on for any value but "none"; vLLM rejects "medium".
    const top = await stream(base, { reasoning_effort: 'high' });
    assert.ok(reasoningOf(top.deltas, field).length > 0);
    const medium = await stream(base, { reasoning_effort: 'medium' });
    if (flavor === 'vllm') {
      assert.equal(medium.status, 400);
      assert.match(errorMessage(medium.error), /reasoning_effort "medium" is not supported/);
    } else assert.equal(medium.status, 200);
  });

  test(`${flavor}: tool calls stream as delta.tool_calls that the OpenAI SDK assembles into a valid call; raw model text without the parser flags`, async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'days', 'unit'] } } }];
    for (const m of MEMBERS) {
      const { base } = await start(command(m, flavor, true), flavor === 'vllm' ? m.vllm : undefined);
      const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none' });
      const s = client.chat.completions.stream({ model: m.id, messages: [{ role: 'user', content: 'Weather in Paris for 3 days?' }], tools, max_tokens: 800, chat_template_kwargs: { thinking: true } } as Parameters<typeof client.chat.completions.stream>[0]);
      const done = await s.finalChatCompletion();
      const choice = done.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls', m.id);
      const call = choice.message.tool_calls![0];
      assert.equal(call.function.name, 'get_weather', m.id);
      assert.ok(call.id.length > 8);
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', days: 3, unit: 'celsius' }, `${m.id}: ${call.function.arguments}`);
      assert.ok(!(choice.message.content ?? '').includes('DSML') && !(choice.message.content ?? '').includes('tool▁'), m.id);
      // After the tool result the model answers.
      const next = await stream(base, { tools, messages: [{ role: 'user', content: 'Weather in Paris?' }, { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] }, { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' }], chat_template_kwargs: { thinking: false } });
      assert.equal(next.finish, 'stop');
      assert.match(contentOf(next.deltas), /### Steps/);

      const bare = await start(command(m, flavor, false), flavor === 'vllm' ? m.vllm : undefined);
      const raw = await stream(bare.base, { tools, chat_template_kwargs: { thinking: false } });
      if (flavor === 'vllm') {
        // vLLM refuses "auto" tool choice without the flags (vllm-project/vllm#9986).
        assert.equal(raw.status, 400, m.id);
        assert.equal(errorMessage(raw.error), '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
      } else {
        assert.equal(raw.finish, 'stop', m.id);
        assert.ok(contentOf(raw.deltas).includes(m.raw), `${m.id}: ${contentOf(raw.deltas).slice(0, 80)}`);
        assert.ok(raw.deltas.every((d) => !d.tool_calls), m.id);
      }
    }
  });
}

test('V4 keeps earlier reasoning in the prompt when tools are defined and drops it otherwise (request log)', async () => {
  const v4 = MEMBERS.find((x) => x.id.endsWith('V4-Flash'))!;
  const { base, logs } = await start(command(v4, 'vllm', true), v4.vllm);
  const history = [{ role: 'user', content: 'first question' }, { role: 'assistant', content: 'first answer', reasoning: 'EARLIER-REASONING' }, { role: 'user', content: 'second question' }];
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }];
  await stream(base, { messages: history, tools, chat_template_kwargs: { thinking: true } });
  await stream(base, { messages: history, chat_template_kwargs: { thinking: true } });
  assert.equal(logs.length, 2);
  assert.ok(logs[0].includes('<think>EARLIER-REASONING</think>first answer'), logs[0]);
  assert.ok(!logs[1].includes('EARLIER-REASONING') && logs[1].includes('</think>first answer'), logs[1]);
  // V3.1 drops earlier reasoning even with tools.
  const v31 = MEMBERS[0];
  const s31 = await start(command(v31, 'vllm', true), v31.vllm);
  await stream(s31.base, { messages: history, tools, chat_template_kwargs: { thinking: true } });
  assert.ok(!s31.logs[0].includes('EARLIER-REASONING'));
});

test('non-streamed: vLLM returns tool_calls [] and SGLang null when there are none; content null under a tool call', async () => {
  const v4 = MEMBERS[2];
  for (const flavor of ['vllm', 'sglang'] as const) {
    const { base } = await start(command(v4, flavor, true), flavor === 'vllm' ? v4.vllm : undefined);
    const post = async (body: Record<string, unknown>): Promise<{ choices: { message: Record<string, unknown>; finish_reason: string }[] }> => (await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 500, ...body }) })).json() as Promise<{ choices: { message: Record<string, unknown>; finish_reason: string }[] }>;
    const plain = await post({ chat_template_kwargs: { thinking: false } });
    assert.deepEqual(plain.choices[0].message.tool_calls, flavor === 'vllm' ? [] : null);
    const called = await post({ tools: [{ type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } }], chat_template_kwargs: { thinking: false } });
    assert.equal(called.choices[0].finish_reason, 'tool_calls');
    assert.equal(called.choices[0].message.content, null);
    assert.equal(((called.choices[0].message.tool_calls as { function: { arguments: string } }[])[0]).function.arguments, '{}');
  }
});

test('version gate: V4-Flash on a vLLM 0.9 image exits with the reason; V4.1 needs 0.30; the V4 KV start-up lines', async () => {
  // A port already taken: a start-up that gets that far ends at the bind (exit 1) instead of serving.
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = String((taken.address() as AddressInfo).port);
  after(() => taken.close());
  const run = (version: string, model: string, extra: string[] = []): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, 'simulate', '--startup-speed', '10000', '--engine-version', version, '--', 'vllm', 'serve', model, '--tensor-parallel-size', '8', '--host', '127.0.0.1', '--port', port, ...extra], { encoding: 'utf8', timeout: 20_000 });
  const old = run('0.9.0', 'deepseek-ai/DeepSeek-V4-Flash');
  assert.equal(old.status, 1);
  assert.match(String(old.stdout), /Model architectures \['DeepseekV4ForCausalLM'\] are not supported for now\. DeepSeek-V4-Flash needs vLLM >= 0\.20\.0/);
  const v41 = run('0.29.0', 'deepseek-ai/DeepSeek-V4.1-Flash');
  assert.equal(v41.status, 1);
  assert.match(String(v41.stdout), /DeepseekV41ForCausalLM.*needs vLLM >= 0\.30\.0/);
  // A wrong block size fails the V4 KV path.
  const bs = run('0.25.0', 'deepseek-ai/DeepSeek-V4-Flash', ['--block-size', '64']);
  assert.equal(bs.status, 1);
  assert.match(String(bs.stdout), /No common block size/);
  const ok = run('0.25.0', 'deepseek-ai/DeepSeek-V4-Flash', ['--max-model-len', '1048576']);
  const out = String(ok.stdout);
  assert.match(out, /Resolved architecture: DeepseekV4ForCausalLM/);
  assert.match(out, /Setting kv cache block size to 256 for DEEPSEEK_SPARSE_SWA backend\./);
  assert.match(out, /Using DeepSeek's fp8_ds_mla KV cache format/);
  assert.match(out, /Maximum concurrency for 1,048,576 tokens per request: \d+\.\d\dx/);
  assert.match(out, /Using default chat sampling params from model: \{'temperature': 1\.0, 'top_p': 1\}/);
  assert.match(out, /address already in use/);
  // Without --engine-version a V4 model imitates its first supporting release instead of refusing to start.
  const dflt = spawnSync(process.execPath, [CLI, 'simulate', '--startup-speed', '10000', '--', 'vllm', 'serve', 'deepseek-ai/DeepSeek-V4-Flash', '--tensor-parallel-size', '8', '--host', '127.0.0.1', '--port', port], { encoding: 'utf8', timeout: 20_000 });
  assert.match(String(dflt.stdout), /vLLM API server version 0\.20\.0/);
  assert.doesNotMatch(String(dflt.stdout), /not supported/);
});

test('V4 calibration rows reproduce their source rows (SG-V4bench TPOT at concurrency 1 and 16) and are marked estimates', () => {
  const cfg = parseEngineCommand(['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-V4-Flash', '--tp', '4']);
  const b200 = pickCalibration(cfg, 'B200-180GB', 4, 1, 'V4-Flash');
  assert.equal(b200.estimate, true);
  assert.equal(Math.round((b200.baseMs + b200.perSeqMs) * 100) / 100, 2.91);
  assert.equal(Math.round((b200.baseMs + 16 * b200.perSeqMs) * 100) / 100, 8.76);
  const h200pro = pickCalibration(cfg, 'H200-141GB', 8, 1, 'V4-Pro');
  assert.ok(Math.abs(h200pro.baseMs + h200pro.perSeqMs - 5.65) < 0.01 && Math.abs(h200pro.baseMs + 16 * h200pro.perSeqMs - 23.1) < 0.05);
  assert.ok(Math.abs(h200pro.prefillMsPerToken * 8192 - 634) < 1);
  // The seeds' V3/R1 rows are unchanged (measured, not estimates).
  assert.equal(pickCalibration(cfg, 'H200-141GB', 8, 1, 'R1').estimate, undefined);
});
