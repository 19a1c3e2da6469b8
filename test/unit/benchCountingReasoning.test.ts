import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, stopSimulators } from '../helpers/simulatorProcess';
import { runBenchmark, type BenchConfig } from '../../src/core/bench/runBenchmark';
import { vllmPrintout, resultJson } from '../../src/core/bench/report';
import { percentileTable, summaryTable } from '../../src/core/bench/resultTables';
import { sonnetRequests } from '../../src/core/bench/fileDatasets';
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildBenchConfig } from '../../src/cli/benchCommand';

const py = (code: string): unknown => JSON.parse(execFileSync('python3', ['-c', `import json, random\n${code}`], { encoding: 'utf8' }));

// Counting modes and reasoning metrics, checked against what the simulator says it wrote (--expose-timing keeps, per
// x-request-id, the time and the channel of every chunk it wrote: role, reasoning, content, none).
after(stopSimulators);

type Log = Record<string, { writes: number[]; channels: string[] }>;
const takeLog = async (url: string): Promise<Log> => ((await (await fetch(`${url}/_simulator/timing?requests=1`)).json()) as { requests: Log }).requests;

const cfg = (url: string, over: Partial<BenchConfig>): BenchConfig => ({
  baseUrl: url,
  backend: 'openai',
  random: { numPrompts: 40, inputLen: 64, outputLen: 30, rangeRatio: 0, prefixLen: 0, seed: 0 },
  requestRate: Infinity,
  burstiness: 1,
  maxConcurrency: 8,
  numWarmups: 0,
  ignoreEos: true,
  percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
  metricPercentiles: [99],
  mode: 'vllm',
  ...over,
});

test('counting modes against --fail-rate: truth fails every stream that carried an error; --compat vllm counts partial answers as vLLM does', async () => {
  const url = await startSimulator(18961, ['--startup-speed', '1000', '--exact-ttft-ms', '5', '--exact-itl-ms', '1', '--fail-rate', '0.3', '--seed', '5', '--expose-timing'], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8']);
  for (const counting of ['truth', 'vllm'] as const) {
    const prefix = `${counting}-`;
    const run = await runBenchmark(cfg(url, { counting, requestIdPrefix: prefix }));
    const log = await takeLog(url);
    const writes = run.traces.map((t) => log[`${prefix}${t.index}`]?.writes.length ?? 0);
    const full = writes.filter((w) => w === 30).length;
    const partial = writes.filter((w) => w > 0 && w < 30);
    assert.ok(full < 40 && partial.length > 0, `the simulator failed some streams mid-answer (${full} full, ${partial.length} partial)`);
    if (counting === 'truth') {
      assert.equal(run.metrics.completed, full);
      assert.equal(run.metrics.failed, 40 - full);
      assert.equal(run.metrics.totalOutput, 30 * full);
      assert.ok(Object.keys(run.metrics.errors).some((e) => e.startsWith('mid-stream error: ')));
    } else {
      // vLLM's client: any stream with a token chunk succeeded; without usage its length is the re-tokenized text.
      assert.equal(run.metrics.completed, full + partial.length);
      assert.equal(run.metrics.failed, 40 - full - partial.length);
      assert.equal(run.metrics.totalOutput, 30 * full + partial.reduce((a, b) => a + b, 0));
    }
    assert.match(vllmPrintout(run), new RegExp(`Counting mode: {27}${counting === 'truth' ? 'truth' : 'vllm \\(compat\\)'}`));
    assert.equal((resultJson(run).deepseek_deploy as { counting: string }).counting, counting);
  }
});

/** Per request: thinking time as the server wrote it (first answer write − first write) and its channel counts. */
function serverView(log: Log, id: string): { thinkMs: number | undefined; reasoning: number; content: number } {
  const w = log[id];
  const firstContent = w.channels.indexOf('content');
  return { thinkMs: firstContent >= 0 ? w.writes[firstContent] - w.writes[0] : undefined, reasoning: w.channels.filter((c) => c === 'reasoning').length, content: w.channels.filter((c) => c === 'content').length };
}

test('reasoning metrics against the simulator\'s write log: R1 with a reasoning parser, R1 without one (</think> in content), V3 without reasoning', async () => {
  const sim = ['--startup-speed', '1000', '--exact-ttft-ms', '20', '--exact-itl-ms', '3', '--expose-timing'];
  const cases = [
    { name: 'R1 + deepseek_r1 parser', port: 18962, engine: ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1'], reasoning: true },
    { name: 'R1, no parser', port: 18963, engine: ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8'], reasoning: true },
    { name: 'V3', port: 18964, engine: ['vllm', 'serve', 'deepseek-ai/DeepSeek-V3', '--tensor-parallel-size', '8'], reasoning: false },
  ];
  for (const c of cases) {
    const url = await startSimulator(c.port, sim, c.engine);
    const run = await runBenchmark(cfg(url, { backend: 'openai-chat', requestIdPrefix: 'r-', maxConcurrency: 4, random: { numPrompts: 12, inputLen: 48, outputLen: 160, rangeRatio: 0, prefixLen: 0, seed: 3 } }));
    const log = await takeLog(url);
    const r = run.reasoning;
    assert.ok(r, c.name);
    assert.equal(run.metrics.completed, 12, c.name);
    let sumR = 0;
    let sumA = 0;
    const errs: number[] = [];
    for (const p of r.perRequest) {
      const s = serverView(log, `r-${p.index}`);
      // One client chunk per server write: the first answer chunk is the server's first content write, exactly.
      const t = run.traces[p.index];
      const firstAnswer = Array.from(t.textFlags.subarray(0, t.chunks)).indexOf(1);
      assert.equal(firstAnswer, log[`r-${p.index}`].channels.indexOf('content'), `${c.name} #${p.index}: first answer chunk`);
      assert.equal(p.reasoningTokens, s.reasoning, `${c.name} #${p.index}: reasoning tokens`);
      assert.equal(p.answerTokens, s.content, `${c.name} #${p.index}: answer tokens`);
      sumR += s.reasoning;
      sumA += s.content;
      if (s.thinkMs !== undefined) errs.push(Math.abs(p.thinkingMs - s.thinkMs));
    }
    // Receive times carry the client's scheduling delays (a shared 2-core box): the typical error is small.
    errs.sort((a, b) => a - b);
    if (errs.length) assert.ok(errs[Math.floor(errs.length / 2)] < 30, `${c.name}: median thinking-time error ${errs[Math.floor(errs.length / 2)].toFixed(1)} ms (all: ${errs.map((e) => e.toFixed(1)).join(', ')})`);
    assert.equal(r.totalReasoningTokens, sumR);
    assert.equal(r.totalAnswerTokens, sumA);
    assert.equal(r.tokensEstimated, true, 'counted by the server\'s /tokenize (no usage details): marked estimated');
    const file = resultJson(run);
    assert.equal(file.total_reasoning_tokens, sumR);
    assert.equal(typeof file.mean_ttfo_ms, 'number');
    assert.equal(typeof file.p99_thinking_time_ms, 'number');
    if (c.reasoning) {
      assert.equal(r.requestsWithReasoning, 12, c.name);
      assert.ok(sumR > 0 && r.thinkingTime.mean > 3 * 10, `${c.name}: thinking takes time (${r.thinkingTime.mean} ms)`);
      // TTFO comes after TTFT by the thinking time.
      assert.ok(r.ttfo.mean > run.metrics.summaries.ttft.mean + r.thinkingTime.mean * 0.9, c.name);
    } else {
      assert.equal(r.requestsWithReasoning, 0);
      assert.equal(sumR, 0);
      // The first choices chunk is the role chunk (TTFT); the answer's first text follows in the same engine step.
      assert.ok(Math.abs(r.ttfo.mean - run.metrics.summaries.ttft.mean) < 5, `no reasoning: TTFO ${r.ttfo.mean} ≈ TTFT ${run.metrics.summaries.ttft.mean}`);
      assert.ok(r.perRequest.every((p) => p.thinkingMs === 0));
    }
    assert.match(vllmPrintout(run), /-+Reasoning-+\nRequests with reasoning: +\d+ *\nTotal reasoning tokens: +\d+ \(est\.\)/);
    // The results panel's tables: which counting mode made the run, reasoning totals, TTFO and thinking-time rows.
    const rows = summaryTable([file]);
    assert.deepEqual(rows.find((x) => x[0] === 'Counting mode'), ['Counting mode', 'truth']);
    assert.deepEqual(rows.find((x) => x[0] === 'Total reasoning tokens'), ['Total reasoning tokens', String(sumR)]);
    assert.deepEqual(percentileTable([file], 'ttfo').map((x) => x[0]), ['mean TTFO (ms)', 'median TTFO (ms)', 'std TTFO (ms)', 'p99 TTFO (ms)']);
    assert.equal(percentileTable([file], 'thinking_time').length, 4);
  }
});

test('sonnet dataset: vLLM\'s prompt (instruction, shared first lines, lines drawn by Python random.choices), sized with the server\'s tokenizer', async () => {
  const url = await startSimulator(18965, ['--startup-speed', '1000'], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8']);
  const post = async (body: object): Promise<number[]> => ((await (await fetch(`${url}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'deepseek-ai/DeepSeek-R1', ...body }) })).json()) as { tokens: number[] }).tokens;
  const tok = { tokenize: (prompt: string, add: boolean) => post({ prompt, add_special_tokens: add }), tokenizeChat: (content: string) => post({ messages: [{ role: 'user', content }], add_generation_prompt: true }) };
  const lines = Array.from({ length: 40 }, (_, i) => `Line ${i} of the sonnet, where summer's lease hath all too short a date ${i % 5}\n`);
  const opts = { numPrompts: 6, seed: 7, chat: true, disableShuffle: false, noOversample: false, skipChatTemplate: false, customOutputLen: 256, sonnet: { inputLen: 550, outputLen: 150, prefixLen: 200 } };
  const reqs = await sonnetRequests(lines.join(''), opts, tok);
  const base = 'Pick as many lines as you can from these poem lines:\n';
  const bodies = reqs.map((r) => (r.prompt as string).slice(base.length).split(/(?<=\n)/));
  const m = bodies[0].length;
  // The shared prefix: the lines every prompt starts with (random draws rarely repeat them all six times).
  const lead = (b: string[]): number => {
    let i = 0;
    while (b[i] === lines[i]) i++;
    return i;
  };
  const prefix = Math.min(...bodies.map(lead));
  assert.ok(prefix > 0 && m > prefix, `${prefix} shared lines of ${m}`);
  for (const b of bodies) assert.deepEqual(b.slice(0, prefix), lines.slice(0, prefix), 'every prompt starts with the same first lines');
  for (const r of reqs) assert.ok(r.promptLen <= 550 && r.outputLen === 150);
  const drawn = py(`random.seed(7); L = ${JSON.stringify(lines)}; print(json.dumps([random.choices(L, k=${m - prefix}) for _ in range(6)]))`) as string[][];
  assert.deepEqual(bodies.map((b) => b.slice(prefix)), drawn, 'the other lines are random.choices(lines) after random.seed(--seed)');
  const completions = await sonnetRequests(lines.join(''), { ...opts, chat: false }, tok);
  assert.ok(Array.isArray(completions[0].prompt), '/v1/completions gets the templated prompt as the server\'s token ids');
  assert.deepEqual(completions.map((r) => r.promptLen), reqs.map((r) => r.promptLen));
});

test('request bodies and headers are vLLM\'s, key for key: sampling params, --extra-body, --header, --served-model-name, --lora-modules, --thinking, request ids', async () => {
  const seen: { url: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') return res.end(JSON.stringify({ object: 'list', data: [{ id: 'served', root: 'org/weights' }] }));
      if (req.url === '/tokenize') return res.end(JSON.stringify({ count: 3, tokens: [0, 5, 6] }));
      if (req.method !== 'POST') {
        res.statusCode = 404;
        return res.end('{}');
      }
      const body = JSON.parse(raw) as Record<string, unknown>;
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chat = req.url?.includes('chat');
      for (const t of ['a', 'b']) res.write(`data: ${JSON.stringify({ choices: [chat ? { index: 0, delta: { content: t } } : { index: 0, text: t }] })}\n\n`);
      res.end(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\ndata: [DONE]\n\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const b = buildBenchConfig(['--base_url', base, '--model', 'org/weights', '--served-model-name', 'served', '--num-prompts', '4', '--random-input-len', '8', '--random-output-len', '2', '--temperature=0.6', '--top-p', '0.95', '--top-k', '20', '--extra-body', '{"stop": ["x"], "top_k": 5}', '--header', 'x-tenant=a b', 'x-trace=1', '--request-id-prefix', 'job7-', '--lora-modules', 'l1', 'l2', '--lora-assignment', 'round-robin', '--logprobs', '2']);
    assert.ok(!('help' in b));
    const run = await runBenchmark(b.cfg);
    assert.equal(run.metrics.completed, 4);
    const main = seen.filter((s) => /^job7-\d$/.test(String(s.headers['x-request-id'])));
    assert.equal(main.length, 4);
    const first = main.find((s) => s.headers['x-request-id'] === 'job7-0')!;
    // endpoint_request_func.py: completions payload keys in order, then ignore_eos, then sampling params and --extra-body.
    assert.deepEqual(Object.keys(first.body), ['model', 'prompt', 'repetition_penalty', 'max_tokens', 'logprobs', 'stream', 'stream_options', 'ignore_eos', 'top_p', 'top_k', 'temperature', 'stop']);
    assert.deepEqual([first.body.repetition_penalty, first.body.logprobs, first.body.top_k, first.body.temperature, first.body.stream_options], [1, 2, 5, 0.6, { include_usage: true }]);
    assert.deepEqual(main.map((s) => [s.headers['x-request-id'], s.body.model]).sort(), [['job7-0', 'l1'], ['job7-1', 'l2'], ['job7-2', 'l1'], ['job7-3', 'l2']]);
    assert.equal(first.headers['x-tenant'], 'a b');
    assert.equal(first.headers['x-trace'], '1');
    assert.deepEqual((first.body.prompt as number[]).slice(0, 1), [0], 'the BOS id vLLM\'s text prompt would get from the server');
    assert.equal((first.body.prompt as number[]).length, 8);
    // Chat: the content is a list of text parts; --thinking sets the template switch.
    seen.length = 0;
    const c = buildBenchConfig(['--base-url', base, '--backend', 'openai-chat', '--endpoint', '/v1/chat/completions', '--dataset-name', 'custom', '--dataset-path', writeTmp('{"prompt": "hello there"}\n'), '--num-prompts', '1', '--thinking', 'off']);
    assert.ok(!('help' in c));
    await runBenchmark(c.cfg);
    const chat = seen.find((s) => s.url === '/v1/chat/completions')!;
    assert.deepEqual(Object.keys(chat.body), ['model', 'messages', 'max_completion_tokens', 'stream', 'stream_options', 'chat_template_kwargs']);
    assert.deepEqual(chat.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }]);
    assert.deepEqual(chat.body.chat_template_kwargs, { thinking: false, enable_thinking: false });
    assert.equal(chat.body.max_completion_tokens, 256, '--custom-output-len default');
  } finally {
    server.close();
  }
});

function writeTmp(text: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-body-')), 'd.jsonl');
  fs.writeFileSync(f, text);
  return f;
}
