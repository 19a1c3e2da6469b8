import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import { CLI, startSimulator, stopSimulators } from '../helpers/simulatorProcess';
import { runBenchmark, type BenchConfig } from '../../src/core/bench/runBenchmark';
import { resultJson } from '../../src/core/bench/report';
import { BENCH_PRESETS } from '../../src/core/bench/presets';
import { findModel } from '../../src/core/plan/catalog';

// The agentic preset's loop against the simulator process serving V4 with its tool and reasoning parsers: what each
// turn sends back is read from the simulator's own request log (--request-log), not from our client.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-agentic-'));
after(() => {
  stopSimulators();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const MODEL = 'deepseek-ai/DeepSeek-V4-Flash';
type Json = Record<string, unknown>;
interface Msg { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string; reasoning?: string; reasoning_content?: string }

async function v4(port: number, log: string): Promise<string> {
  const m = findModel(MODEL)!;
  return startSimulator(port, ['--startup-speed', '1000', '--exact-ttft-ms', '20', '--exact-itl-ms', '1', '--request-log', log], ['vllm', 'serve', MODEL, '--tensor-parallel-size', '8', '--reasoning-parser', m.parsers.vllm.reasoning!, '--tool-call-parser', m.parsers.vllm.tool!, '--enable-auto-tool-choice']);
}

const preset = BENCH_PRESETS.find((p) => p.id === 'v4-agentic-tools')!;
const cfgFor = (url: string, over: Partial<BenchConfig['agentic'] & object> = {}): BenchConfig => ({
  baseUrl: url, backend: 'openai-chat', random: preset.runs[0].random, requestRate: Infinity, burstiness: 1, maxConcurrency: 4, numWarmups: 0, ignoreEos: false,
  percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'], metricPercentiles: [50, 99], mode: 'vllm', label: 'agentic', thinking: 'high',
  agentic: { ...preset.runs[0].agentic!, sessions: 6, turns: 4, userPromptChars: 2000, toolResultChars: 1500, maxTokensPerTurn: 600, ...over },
});

const bodies = (log: string): Json[] => fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { body: Json }).body);

test('agentic preset: sessions × turns requests, each turn after the first sends back the tool calls, matching tool results and V4 reasoning', async () => {
  const log = path.join(tmp, 'full.jsonl');
  const url = await v4(18941, log);
  const run = await runBenchmark(cfgFor(url));
  assert.equal(run.cancelled, false);
  assert.equal(run.metrics.completed, 6 * 4, JSON.stringify(run.metrics.errors));
  assert.equal(run.metrics.failed, 0);
  assert.deepEqual(run.agentic!.turns_per_session, [4, 4, 4, 4, 4, 4]);
  assert.equal(run.agentic!.sessions_completed, 6);
  // Turns 1–3 end in one tool call each (tool_choice required), the 4th (auto, after a result) answers in text.
  assert.equal(run.agentic!.tool_calls_total, 6 * 3);
  const sent = bodies(log);
  assert.equal(sent.length, 24);
  const byLength = new Map<number, number>();
  for (const b of sent) {
    const msgs = b.messages as Msg[];
    assert.ok(Array.isArray(b.tools) && (b.tools as unknown[]).length === 2, 'tools on every turn');
    const turn = (msgs.length - 1) / 2;
    byLength.set(turn, (byLength.get(turn) ?? 0) + 1);
    assert.equal(b.tool_choice, turn < 3 ? 'required' : 'auto');
    assert.equal(msgs[0].role, 'user');
    for (let k = 1; k < msgs.length; k += 2) {
      const a = msgs[k];
      const r = msgs[k + 1];
      assert.equal(a.role, 'assistant');
      assert.equal(a.tool_calls?.length, 1, 'the previous answer\'s tool call goes back');
      assert.equal(a.tool_calls[0].function.name, 'read_file');
      assert.deepEqual(Object.keys(JSON.parse(a.tool_calls[0].function.arguments) as Json), ['path'], 'arguments assembled from the streamed fragments');
      assert.equal(r.role, 'tool');
      assert.equal(r.tool_call_id, a.tool_calls[0].id, 'the tool result answers that call');
      assert.equal((r.content as string).length, 1500);
      // V4 with tools defined keeps every earlier turn's reasoning (reference §4.3), in both spellings.
      assert.ok(typeof a.reasoning === 'string' && a.reasoning.length > 0 && a.reasoning === a.reasoning_content, 'reasoning passed back');
    }
  }
  assert.deepEqual([...byLength.entries()].sort(), [[0, 6], [1, 6], [2, 6], [3, 6]]);
  // Metrics like every run: TTFT, TPOT, E2EL per request; later turns carry longer prompts.
  const s = run.metrics.summaries;
  assert.ok(s.ttft.mean >= 20 && s.ttft.mean < 500, `TTFT ${s.ttft.mean}`);
  assert.ok(s.e2el.mean > s.ttft.mean);
  assert.ok(s.tpot.mean > 0 && s.tpot.mean < 50, `TPOT ${s.tpot.mean}`);
  assert.ok(run.traces.every((t) => t.usagePromptTokens! > 0));
  const prompts = run.traces.map((t) => t.usagePromptTokens!);
  assert.ok(Math.max(...prompts) > Math.min(...prompts) + 3 * 300, `later turns resend the conversation: ${Math.min(...prompts)}…${Math.max(...prompts)} tokens`);
  assert.ok(run.agentic!.session_latency_ms.mean > s.e2el.mean * 3, 'a session spans its four turns');
  const result = resultJson(run, { preset: preset.id });
  assert.equal(result.completed, 24);
  const dd = result.deepseek_deploy as Json;
  assert.equal(dd.thinking, 'high');
  assert.equal((dd.agentic as Json).tool_calls_total, 18);
  assert.equal((dd.dataset as Json).name, 'agentic');
});

test('agentic run cancelled mid-way keeps the finished turns and stops sending', async () => {
  const log = path.join(tmp, 'cancel.jsonl');
  const url = await v4(18942, log);
  const ac = new AbortController();
  let seen = 0;
  const run = await runBenchmark({ ...cfgFor(url, { sessions: 8, turns: 6 }), maxConcurrency: 2 }, {
    signal: ac.signal,
    onProgress: (p) => {
      seen = p.completed;
      if (p.completed >= 5) ac.abort();
    },
  });
  assert.equal(run.cancelled, true);
  assert.ok(seen >= 5);
  assert.ok(run.metrics.completed >= 5 && run.metrics.completed < 48, String(run.metrics.completed));
  assert.equal(run.metrics.failed, 0, 'a cancelled turn is not a failure');
  assert.equal(run.traces.filter((t) => t.success).length, run.metrics.completed);
  const sent = bodies(log).length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(bodies(log).length, sent, 'nothing sent after the cancel');
  assert.ok(sent < 48);
});

test('deepseek-deploy bench --preset v4-agentic-tools runs the preset\'s sessions and saves the agentic section', async () => {
  const log = path.join(tmp, 'cli.jsonl');
  const url = await v4(18943, log);
  const r = spawnSync(process.execPath, [CLI, 'bench', '--preset', 'v4-agentic-tools', '--base-url', url, '--thinking', 'high', '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as Json;
  const spec = preset.runs[0].agentic!;
  assert.equal(result.completed, spec.sessions * spec.turns);
  assert.equal(result.num_prompts, spec.sessions * spec.turns);
  assert.equal(result.backend, 'openai-chat');
  assert.equal(result.max_concurrency, preset.runs[0].maxConcurrency);
  const a = (result.deepseek_deploy as Json).agentic as Json;
  assert.equal(a.tool_calls_total, spec.sessions * (spec.turns - 1));
  assert.equal(bodies(log).length, spec.sessions * spec.turns);
  const bad = spawnSync(process.execPath, [CLI, 'bench', '--preset', 'v4-agentic-tools', '--dataset-name', 'sharegpt', '--base-url', url], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /brings its own workload/);
});
