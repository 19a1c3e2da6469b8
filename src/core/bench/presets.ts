import type { BenchConfig } from './runBenchmark';

/** What a preset sets on top of the endpoint; a preset with several runs is a sweep (results share one chart). */
export type RunSpec = Pick<BenchConfig, 'random' | 'requestRate' | 'maxConcurrency' | 'ignoreEos' | 'agentic'> & { readonly name: string };

export interface BenchPreset {
  readonly id: string;
  readonly label: string;
  readonly detail: string;
  readonly runs: readonly RunSpec[];
}

const rnd = (numPrompts: number, inputLen: number, outputLen: number, extra: Partial<RunSpec['random']> = {}): RunSpec['random'] => ({ numPrompts, inputLen, outputLen, rangeRatio: 0, prefixLen: 0, seed: 0, ...extra });

/** Seed 003: 8000/1000, 1000/8000 and 1000/1000 at batch 1…512 (`--num-prompts N --request-rate inf`, ignore_eos). */
const MATRIX_BATCHES = [1, 16, 32, 64, 128, 256, 512];
const MATRIX_SHAPES: [string, number, number][] = [['prompt-heavy', 8000, 1000], ['decode-heavy', 1000, 8000], ['balanced', 1000, 1000]];

export const BENCH_PRESETS: readonly BenchPreset[] = [
  { id: 'latency', label: 'Latency (1 request)', detail: '1 request, 1024 in / 128 out: TTFT, TPOT and tok/s of a single stream', runs: [{ name: 'latency 1024/128', random: rnd(1, 1024, 128), requestRate: Infinity, maxConcurrency: 1, ignoreEos: true }] },
  {
    id: 'seed003-matrix',
    label: 'Throughput matrix: long prompts, long answers, balanced × batch 1…512',
    detail: `${MATRIX_SHAPES.length * MATRIX_BATCHES.length} runs (8000/1000, 1000/8000, 1000/1000 tokens in/out at batch 1…512): vllm bench serve --dataset-name random --num-prompts N --request-rate inf --ignore-eos`,
    runs: MATRIX_SHAPES.flatMap(([shape, i, o]) => MATRIX_BATCHES.map((b) => ({ name: `${shape} ${i}/${o} batch ${b}`, random: rnd(b, i, o), requestRate: Infinity, maxConcurrency: undefined, ignoreEos: true }))),
  },
  { id: 'llmperf', label: 'Many users (llmperf-style): 64 at once, ~1000 tokens in and out', detail: '640 requests, 1000±150 in / 1000±50 out, like llmperf token_benchmark_ray.py --num-concurrent-requests 64', runs: [{ name: 'llmperf 1000±150/1000±50 c64', random: rnd(640, 1000, 1000, { normalStddev: { input: 150, output: 50 } }), requestRate: Infinity, maxConcurrency: 64, ignoreEos: true }] },
  // DeepSeek V4 (deepseek-family.md §7.3 / DYN-V4): the cookbook's long-context shape at 32K, and the agentic trace's
  // shape (≈64K in with ≈90% shared prefix, ≈400 out). Plain random prompts: no tool calls (v4-agentic-tools has them).
  { id: 'v4-long-context', label: 'V4 long context: 32K in / 1K out at concurrency 1, 8, 32', detail: '32768 in / 1024 out, 4×concurrency requests per step', runs: [1, 8, 32].map((c) => ({ name: `v4 32k/1k c${c}`, random: rnd(Math.max(4 * c, 8), 32768, 1024), requestRate: Infinity, maxConcurrency: c, ignoreEos: true })) },
  { id: 'v4-agentic-shape', label: 'V4 agentic-shaped: 64K in (90% shared prefix) / 400 out at concurrency 16', detail: 'the Dynamo agentic trace\'s shape (DYN-V4): 65536 in with a 58982-token common prefix, 400 out; no tool calls', runs: [{ name: 'v4 agentic 64k/400 c16', random: rnd(64, 6554, 400, { prefixLen: 58982 }), requestRate: Infinity, maxConcurrency: 16, ignoreEos: true }] },
  // Real tool calls (agenticBench.ts): each session's user task → tool call → tool result → … for 4 requests, the
  // conversation (tool calls, results and V4's reasoning) resent each turn; ≈2K-token task, ≈1K-token tool results.
  // `random` only sizes the time estimate (64 requests, ≈3.7K tokens in on average); the sessions build the prompts.
  { id: 'v4-agentic-tools', label: 'V4 agentic: multi-turn tool calls, 16 sessions × 4 turns', detail: '16 sessions at concurrency 8: a coding task with read_file / run_shell tools, the model calls a tool each turn (tool_choice required, last turn auto), 4 KiB tool results sent back; TTFT/TPOT per turn, session latency', runs: [{ name: 'v4 agentic tools 16x4 c8', random: rnd(64, 3700, 128), requestRate: Infinity, maxConcurrency: 8, ignoreEos: false, agentic: { sessions: 16, turns: 4, userPromptChars: 8192, toolResultChars: 4096, maxTokensPerTurn: 512, toolChoice: 'required' } }] },
  {
    id: 'concurrency-sweep',
    label: 'Concurrency sweep: how speed holds up from 1 to 256 users',
    detail: '1024 in / 256 out, 4×concurrency requests per step: output tok/s and TPOT vs concurrency',
    runs: [1, 4, 16, 64, 256].map((c) => ({ name: `sweep c${c}`, random: rnd(Math.max(4 * c, 8), 1024, 256), requestRate: Infinity, maxConcurrency: c, ignoreEos: true })),
  },
];
