import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { CLI, startSimulator, stopSimulators } from '../helpers/simulatorProcess';

// Real `vllm bench serve` command lines, run unchanged (`vllm bench serve` → `deepseek-deploy bench`) against the
// simulator. Datasets they name are generated here; placeholders such as `<your data path>` point at them.
after(stopSimulators);

const REF = path.resolve(__dirname, '../../../../shared/reference/vllm-results');
const MODELS = ['deepseek-ai/DeepSeek-R1', 'NousResearch/Hermes-3-Llama-3.1-8B', 'meta-llama/Llama-3.1-8B-Instruct', 'meta-llama/Llama-2-7b-chat-hf', 'Qwen/Qwen2.5-VL-7B-Instruct', 'deepseek-ai/DeepSeek-V3.2-Exp', 'deepseek-ai/DeepSeek-V3.2', 'deepseek-ai/DeepSeek-V2-Lite', 'Qwen/Qwen3.5-2B'];
const fast = ['--startup-speed', '1000', '--exact-ttft-ms', '1', '--exact-itl-ms', '0', '--expose-timing'];
const engine = (extra: string[] = []): string[] => ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--served-model-name', ...MODELS, ...extra];

interface Cmd { readonly src: string; readonly line: string; readonly ok?: number; readonly fails?: RegExp; readonly code?: number }

/**
 * 30 command lines. Sources: [cli.md] vllm-project/vllm docs/benchmarking/cli.md @ 069c00b; [skill] skill4agent.com
 * "vllm-bench-serve" (vllm-project/vllm-skills); [#N] github.com/vllm-project/vllm issue or PR N; [gpustack] a GPUStack
 * DeepSeek-V3.2 benchmark log (public); [kvfabric] KVFabric evaluation plan, §3.6 command templates (public);
 * [polish] a public Polish RAG benchmark write-up; [prithvi] a public KEDA autoscaling guide; [sluice] a public
 * DeepSeek-V4-Pro serving note; [ref] shared/reference/vllm-results/README.md (run by vLLM's own code).
 * `ok`: requests expected to succeed; `fails`: the message printed before any request.
 */
const COMMANDS: readonly Cmd[] = [
  { src: 'cli.md Online Benchmark', line: '--backend vllm --model NousResearch/Hermes-3-Llama-3.1-8B --endpoint /v1/completions --dataset-name sharegpt --dataset-path <your data path>/ShareGPT_V3_unfiltered_cleaned_split.json --num-prompts 10', ok: 10 },
  { src: 'cli.md Results Visualization', line: '--backend vllm --model meta-llama/Llama-3.1-8B-Instruct --endpoint /v1/completions --dataset-name sharegpt --dataset-path <your data path>/ShareGPT_V3_unfiltered_cleaned_split.json --num-prompts 100 --plot-timeline --timeline-itl-thresholds 2,5 --plot-dataset-stats --save-result', ok: 100 },
  { src: 'cli.md Custom Dataset', line: '--port 9001 --save-result --save-detailed --backend vllm --model meta-llama/Llama-3.1-8B-Instruct --endpoint /v1/completions --dataset-name custom --dataset-path <path-to-your-data-jsonl> --skip-chat-template --num-prompts 80 --max-concurrency 1 --temperature=0.3 --top-p=0.75 --result-dir "./log/"', ok: 80 },
  { src: 'cli.md Running With Sampling Parameters', line: '--backend vllm --model NousResearch/Hermes-3-Llama-3.1-8B --endpoint /v1/completions --dataset-name sharegpt --dataset-path <your data path>/ShareGPT_V3_unfiltered_cleaned_split.json --top-k 10 --top-p 0.9 --temperature 0.5 --num-prompts 10', ok: 10 },
  { src: 'cli.md Prefix Repetition Dataset', line: '--backend openai --model meta-llama/Llama-2-7b-chat-hf --dataset-name prefix_repetition --num-prompts 100 --prefix-repetition-prefix-len 512 --prefix-repetition-suffix-len 128 --prefix-repetition-num-prefixes 5 --prefix-repetition-output-len 128', ok: 100 },
  { src: 'cli.md Multi-Modal Benchmark, Images (ShareGPT4V)', line: '--backend openai-chat --model Qwen/Qwen2.5-VL-7B-Instruct --dataset-name sharegpt --dataset-path /path/to/ShareGPT4V/sharegpt4v_instruct_gpt4-vision_cap100k.json --num-prompts 100 --save-result --result-dir ~/vllm_benchmark_results --save-detailed --endpoint /v1/chat/completions', ok: 100 },
  { src: '#26605 DeepSeek v3.2 hits IMA on DP/EP setup', line: '--model deepseek-ai/DeepSeek-V3.2-Exp --dataset-name random --random-input-len 128 --random-output-len 128', ok: 1000 },
  { src: 'FlashMLA "invalid configuration argument" issue (DeepSeek-V3.2-Exp on B200)', line: '--model deepseek-ai/DeepSeek-V3.2-Exp --dataset-name random --host 127.0.0.1 --port 9256 --random-input-len 256 --random-output-len 256 --request-rate inf --num-prompts 1024', ok: 1024 },
  { src: 'gpustack DeepSeek-V3.2 sharegpt', line: '--model deepseek-ai/DeepSeek-V3.2 --backend openai-chat --endpoint /v1/chat/completions --dataset-name sharegpt --dataset-path ShareGPT_V3_unfiltered_cleaned_split.json --num-prompts 1000 --result-filename test/deepseek_v3.2-results-1224/vllm_tp_tokenizer_reason_sharegpt.json --save-result', ok: 1000 },
  { src: 'gpustack DeepSeek-V3.2 random_128', line: '--model deepseek-ai/DeepSeek-V3.2 --backend openai-chat --endpoint /v1/chat/completions --dataset-name random --random-input-len 128 --random-output-len 4 --num-prompts 1000 --seed 42 --result-filename test/deepseek_v3.2-results-1224/vllm_tp_tokenizer_reason_second_random_128.json --save-result', ok: 1000 },
  { src: 'gpustack DeepSeek-V3.2 random_2k_output', line: '--model deepseek-ai/DeepSeek-V3.2 --backend openai-chat --endpoint /v1/chat/completions --dataset-name random --random-input-len 1000 --random-output-len 2000 --num-prompts 100 --seed 42 --result-filename test/deepseek_v3.2-results-1224/vllm_tp_tokenizer_reason_second_random_2k_output.json --save-result', ok: 100 },
  { src: 'vLLM AFD 1A1F recipe (DeepSeek-V2-Lite)', line: '--model deepseek-ai/DeepSeek-V2-Lite --dataset-name random --random-input-len 128 --random-output-len 32 --num-prompts 20 --request-rate inf', ok: 20 },
  { src: 'kvfabric max throughput', line: '--backend vllm --model Qwen/Qwen3.5-2B --endpoint /v1/completions --dataset-name random --random-input-len 512 --random-output-len 128 --num-prompts 200 --save-result --save-detailed --result-dir results/max_tp', ok: 200 },
  { src: 'kvfabric goodput', line: '--backend vllm --model Qwen/Qwen3.5-2B --endpoint /v1/completions --dataset-name random --random-input-len 512 --random-output-len 128 --num-prompts 200 --request-rate inf --goodput ttft:200 tpot:50 e2el:3000 --save-result --result-dir results/goodput', ok: 200 },
  { src: 'kvfabric prefix cache A/B', line: '--backend vllm --model Qwen/Qwen3.5-2B --endpoint /v1/completions --dataset-name random --random-input-len 1024 --random-output-len 128 --random-prefix-len 512 --num-prompts 100 --save-result --result-dir results/prefix_on', ok: 100 },
  { src: 'kvfabric length scan (first iteration)', line: '--backend vllm --model Qwen/Qwen3.5-2B --endpoint /v1/completions --dataset-name random --random-input-len 128 --random-output-len 64 --num-prompts 100 --save-result --result-dir results/scan_i128_o64', ok: 100 },
  { src: 'kvfabric vllm bench reference run', line: '--backend vllm --model Qwen/Qwen3.5-2B --dataset-name random --random-input-len 512 --random-output-len 128 --num-prompts 200 --request-rate inf --save-result --result-dir results/vllmbench_ref', ok: 200 },
  { src: 'ref default_r20', line: '--dataset-name random --random-input-len 1000 --random-output-len 200 --num-prompts 32 --max-concurrency 16 --request-rate 20 --burstiness 1 --ignore-eos --save-result --result-dir ref/default_r20', ok: 32 },
  { src: 'ref detailed_label', line: '--dataset-name random --random-input-len 1000 --random-output-len 200 --num-prompts 32 --max-concurrency 16 --request-rate 20 --burstiness 1 --ignore-eos --save-result --save-detailed --label mylabel --result-dir ref/detailed_label', ok: 32 },
  { src: 'ref goodput_pcts', line: '--dataset-name random --random-input-len 1000 --random-output-len 200 --num-prompts 32 --max-concurrency 16 --ignore-eos --save-result --goodput ttft:152 tpot:20.01 e2el:4200 --metric-percentiles 25,50,99.9 --percentile-metrics ttft,tpot,itl,e2el --result-dir ref/goodput_pcts', ok: 32 },
  // Not possible here: refused before any request, with the message users see.
  { src: 'cli.md Custom Audio Dataset (Whisper)', line: '--model openai/whisper-tiny --backend openai-audio --endpoint /v1/audio/transcriptions --dataset-name custom_audio --dataset-path audio_data.jsonl --no-oversample --custom-output-len 256 --save-result --save-detailed --result-filename whisper_bench.json', fails: /argument --dataset-name: invalid choice: 'custom_audio'/, code: 2 },
  { src: 'cli.md VisionArena', line: '--backend openai-chat --model Qwen/Qwen2-VL-7B-Instruct --endpoint /v1/chat/completions --dataset-name hf --dataset-path lmarena-ai/VisionArena-Chat --hf-split train --num-prompts 1000', fails: /Hugging Face Hub.*not reachable from here\. Download it/, code: 2 },
  { src: 'cli.md Spec Bench', line: '--model meta-llama/Meta-Llama-3-8B-Instruct --dataset-name spec_bench --dataset-path "<YOUR_DOWNLOADED_PATH>/data/spec_bench/question.jsonl" --num-prompts -1', fails: /--dataset-name spec_bench: .*use --dataset-name custom/, code: 2 },
  { src: 'cli.md Responses API Benchmark', line: '--backend openai-responses --endpoint /v1/responses --model openai/gpt-oss-20b --dataset-name random --random-input-len 1024 --random-output-len 1024 --num-prompts 200', fails: /argument --backend: invalid choice: 'openai-responses'/, code: 2 },
  { src: 'cli.md Probe Requests', line: "--model Qwen/Qwen2.5-VL-3B-Instruct --backend openai-chat --endpoint /v1/chat/completions --dataset-name random-mm --random-mm-bucket-config '{(2048, 2048, 1): 1.0}' --request-rate 4 --probe-request-rate 20", fails: /--dataset-name random-mm: .*needs images/, code: 2 },
  { src: 'cli.md Replay Timed Traces', line: '--model Qwen/Qwen3.5-2B --dataset-name=timed_trace --num-prompts 100 --host 127.0.0.1 --port 8000 --dataset-path ./conversation_trace.jsonl --ignore-eos --self-timed --timed-trace-chunk-hash-size 512 --timed-trace-sec-multiplier 0.001', fails: /unrecognized arguments: --timed-trace-chunk-hash-size/, code: 2 },
  { src: 'cli.md BFCL (Tool-Calling) Benchmark', line: '--backend openai-chat --endpoint /v1/chat/completions --model openai/gpt-oss-20b --dataset-name hf --dataset-path gorilla-llm/Berkeley-Function-Calling-Leaderboard --bfcl-categories simple,live_simple,multiple --num-prompts 200', fails: /unrecognized arguments: --bfcl-categories/, code: 2 },
  { src: '#23378 Hang with CUDA_GRAPH_SIZE = 1024 (DeepSeek-R1)', line: '--model deepseek-ai/DeepSeek-R1 --base-url http://0.0.0.0:9256 --dataset-name random --random-input-len 1 --random-output-len 200 --request-rate inf --num-prompts 2048', fails: /--random-input-len is too small: with tokenizer special tokens 1/, code: 1 },
  { src: 'prithvi KEDA guide (pooling)', line: '--base-url "$BASE_URL" --dataset-name=custom --model ibm-nasa-geospatial/Prithvi-EO-2.0-300M-TL-Sen1Floods11 --seed 12345 --skip-tokenizer-init --endpoint /pooling --backend vllm-pooling --metric-percentiles 25,75,99 --percentile-metrics e2el --dataset-path ./dataset_url_input_india.jsonl --num-prompts 7000 --max-concurrency 100 --ramp-up-strategy linear --ramp-up-start-rps 10 --ramp-up-end-rps 70 --insecure', fails: /--backend vllm-pooling: only generation backends are benchmarked here/, code: 2 },
  { src: 'sluice DeepSeek-V4-Pro (rate placeholder)', line: '--model deepseek-ai/DeepSeek-V4-Pro --dataset-name sharegpt --num-prompts 500 --request-rate <1,2,4,8,inf> --save-result', fails: /argument --request-rate: invalid float value: '<1,2,4,8,inf>'/, code: 2 },
];

/** POSIX shell words: quotes, backslashes, $VAR from env; enough for the lines above. */
function shellWords(line: string, env: Record<string, string>): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ') {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const j = line.indexOf("'", i + 1);
      cur = (cur ?? '') + line.slice(i + 1, j);
      i = j;
    } else if (c === '"') {
      const j = line.indexOf('"', i + 1);
      cur = (cur ?? '') + line.slice(i + 1, j).replace(/\$(\w+)/g, (_, k: string) => env[k] ?? '');
      i = j;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** ShareGPT-format conversations from a fixed word list (deterministic; prompts 12–160 words, answers 8–60). */
function sharegpt(n: number): string {
  const words = 'the model serves tokens quickly while the scheduler batches requests across eight GPUs and the cache keeps prefixes warm for later turns'.split(' ');
  const text = (k: number, len: number): string => Array.from({ length: len }, (_, j) => words[(k * 7 + j * 3) % words.length]).join(' ');
  return JSON.stringify(Array.from({ length: n }, (_, k) => ({ id: `c${k}`, conversations: [{ from: 'human', value: text(k, 12 + ((k * 37) % 149)) }, { from: 'gpt', value: text(k + 1, 8 + ((k * 13) % 53)) }] })));
}

function runCli(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, 'bench', ...args], { cwd, env: { ...process.env, OPENAI_API_KEY: '' } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Key order and Python JSON types of a result file (json.load), deepseek_deploy left out. */
const pyShape = (file: string): [string, string][] =>
  JSON.parse(execFileSync('python3', ['-c', 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps([[k, type(v).__name__] for k, v in d.items() if k != "deepseek_deploy"]))', file], { encoding: 'utf8' })) as [string, string][];

test('30 real `vllm bench serve` command lines: 20 complete unchanged against the simulator, 10 are refused before any request', { timeout: 900_000 }, async () => {
  assert.equal(COMMANDS.length, 30);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-vllm-cmds-'));
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(dir, 'ShareGPT_V3_unfiltered_cleaned_split.json'), sharegpt(1200));
  fs.writeFileSync(path.join(dir, 'sharegpt4v_instruct_gpt4-vision_cap100k.json'), sharegpt(150));
  fs.writeFileSync(path.join(dir, 'data.jsonl'), Array.from({ length: 100 }, (_, i) => JSON.stringify({ prompt: `Question ${i}: what is the capital of country number ${i}?` })).join('\n'));
  const urls = await Promise.all([8000, 9001, 9256].map((p) => startSimulator(p, fast, engine())));
  const clearLogs = (): Promise<unknown> => Promise.all(urls.map((u) => fetch(`${u}/_simulator/timing?requests=1`)));
  const sent = async (): Promise<number> => {
    let n = 0;
    for (const u of urls) n += Object.keys(((await (await fetch(`${u}/_simulator/timing?requests=1`)).json()) as { requests: object }).requests).length;
    return n;
  };
  const env = { BASE_URL: 'http://127.0.0.1:9001' };
  let passed = 0;
  let refused = 0;
  for (const c of COMMANDS) {
    const line = c.line
      .replace(/<your data path>\//g, `${dir}/`)
      .replace('<path-to-your-data-jsonl>', path.join(dir, 'data.jsonl'))
      .replace('/path/to/ShareGPT4V/', `${dir}/`)
      .replace('~/', `${home}/`);
    await clearLogs();
    const r = await runCli(shellWords(line, env), dir);
    if (c.ok !== undefined) {
      assert.equal(r.code, 0, `${c.src}: exit ${r.code}\n${r.err.slice(-2000)}`);
      assert.ok(r.out.includes(`Successful requests:                     ${String(c.ok).padEnd(10)}`), `${c.src}: ${r.out.slice(-1500)}`);
      assert.ok(r.out.includes('Failed requests:                         0         '), c.src);
      passed++;
    } else {
      assert.equal(r.code, c.code, `${c.src}: exit ${r.code}: ${r.err}`);
      assert.match(r.err, c.fails!, c.src);
      assert.equal(await sent(), 0, `${c.src}: no benchmark request may reach the server`);
      refused++;
    }
  }
  assert.deepEqual([passed, refused], [20, 10]);
  // What those runs wrote, where vLLM would write it.
  const files = (d: string): string[] => fs.readdirSync(path.join(dir, d));
  assert.ok(files('log').some((f) => /^vllm-infqps-concurrency1-Llama-3\.1-8B-Instruct-\d{8}-\d{6}\.json$/.test(f)), files('log').join());
  assert.ok(fs.existsSync(path.join(dir, 'test/deepseek_v3.2-results-1224/vllm_tp_tokenizer_reason_sharegpt.json')));
  const timeline = fs.readdirSync(dir).find((f) => f.endsWith('.timeline.html'));
  assert.ok(timeline && /^vllm-infqps-Llama-3\.1-8B-Instruct-\d{8}-\d{6}\.timeline\.html$/.test(timeline), fs.readdirSync(dir).join());
  const html = fs.readFileSync(path.join(dir, timeline), 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), 'self-contained: no script, nothing fetched');
  assert.equal((html.match(/<title>request \d+: TTFT/g) ?? []).length, 100, 'one row per request');
  // Key set, order and JSON types equal the files vLLM's own code wrote for the same flags; file names too.
  for (const [name, label, rate] of [['default_r20', 'openai', '20.0'], ['detailed_label', 'mylabel', '20.0'], ['goodput_pcts', 'openai', 'inf']]) {
    const ours = files(`ref/${name}`);
    assert.equal(ours.length, 1);
    assert.match(ours[0], new RegExp(`^${label}-${rate.replace('.', '\\.')}qps-concurrency16-DeepSeek-R1-\\d{8}-\\d{6}\\.json$`));
    assert.deepEqual(pyShape(path.join(dir, 'ref', name, ours[0])), pyShape(path.join(REF, `${name}.json`)), name);
  }
});
