import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, startSimulator, stopSimulators } from '../helpers/simulatorProcess';

// `deepseek-deploy chat` against the simulator started through the same CLI (as a user would).
after(stopSimulators);

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const simulator = (port: number, simOpts: string[], engine: string[]): Promise<string> => startSimulator(port, ['--startup-speed', '1000', '--speed', '20', ...simOpts], engine);

test('chat --json separates reasoning and answer (vLLM `reasoning` field; SGLang `reasoning_content`; R1 without a parser)', async () => {
  await simulator(18971, [], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1']);
  await simulator(18972, [], ['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-R1', '--tp', '8', '--reasoning-parser', 'deepseek-r1']);
  await simulator(18973, [], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8']);
  for (const port of [18971, 18972, 18973]) {
    const r = await run(['chat', '--endpoint', `http://127.0.0.1:${port}/v1`, '--max-tokens', '400', '--json', 'Explain TTFT']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { reasoning: string; content: string; usage: { completion_tokens: number }; ttftMs: number; tokensPerSecond: number; simulated: boolean };
    assert.ok(j.reasoning.length > 40 && !j.reasoning.includes('</think>'), `port ${port}: ${j.reasoning.slice(0, 60)}`);
    assert.match(j.content, /### Steps/);
    assert.ok(!j.content.includes('think>'));
    assert.ok(j.usage.completion_tokens > 0 && j.ttftMs > 0 && j.tokensPerSecond > 0 && j.simulated);
  }
});

test('chat: a mid-stream error keeps the partial answer and exits 1; an unreachable endpoint says so', async () => {
  await simulator(18974, ['--fail-rate', '1', '--seed', '5'], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1']);
  const r = await run(['chat', '--endpoint', 'http://127.0.0.1:18974', '--model', 'deepseek-ai/DeepSeek-R1', '--max-tokens', '300', '--json', 'hi']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout) as { error: { kind: string; message: string }; reasoning: string };
  assert.equal(j.error.kind, 'stream');
  assert.match(j.error.message, /mid-stream: EngineCore encountered an issue/);
  const down = await run(['chat', '--endpoint', 'http://127.0.0.1:1', '--model', 'm', 'hi']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /Cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
});
