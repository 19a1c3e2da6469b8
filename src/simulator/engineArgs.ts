import { compareVersions } from '../core/util/versions';

/**
 * Parses the real vLLM / SGLang command lines the way their argparse does, so a launch that would fail on a real
 * engine (typo, removed flag) fails the same way here: exit 2 and "error: unrecognized arguments: …".
 */
export type Flavor = 'vllm' | 'sglang';

export interface EngineConfig {
  readonly flavor: Flavor;
  /** argparse's prog, used in usage and error lines. */
  readonly prog: string;
  readonly model: string;
  readonly servedModelNames: string[];
  readonly host: string;
  readonly port: number;
  readonly tp: number;
  readonly dp: number;
  readonly pp: number;
  readonly expertParallel: boolean;
  readonly dpAttention: boolean;
  readonly maxModelLen?: number;
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly gpuMemoryUtilization: number;
  readonly reasoningParser?: string;
  readonly apiKey?: string;
  readonly kvCacheDtype: 'auto' | 'fp8';
  readonly enforceEager: boolean;
  readonly enableMetrics: boolean;
  readonly nnodes: number;
  readonly nodeRank: number;
  readonly distInitAddr?: string;
  /** Flags as given, for the "non-default args" log line. */
  readonly given: Record<string, string | boolean | string[]>;
}

export class ArgparseError extends Error {
  constructor(readonly usage: string, readonly prog: string, message: string) {
    super(message);
  }

  /** The exact two lines argparse prints to stderr before exiting with status 2. */
  format(): string {
    return `${this.usage}\n${this.prog}: error: ${this.message}\n`;
  }
}

type Kind = 'bool' | 'value' | 'multi' | 'optional';
interface FlagSpec { readonly dest: string; readonly kind: Kind }

function table(entries: Array<[string[], string, Kind]>): Map<string, FlagSpec> {
  const m = new Map<string, FlagSpec>();
  for (const [names, dest, kind] of entries) for (const n of names) m.set(n, { dest, kind });
  return m;
}

// vLLM's FlexibleArgumentParser accepts --flag_name as --flag-name; both engines take --flag=value.
const VLLM_FLAGS = table([
  [['--model'], 'model', 'value'], [['--host'], 'host', 'value'], [['--port'], 'port', 'value'],
  [['--api-key'], 'api_key', 'value'], [['--served-model-name'], 'served_model_name', 'multi'],
  [['--tensor-parallel-size', '-tp'], 'tensor_parallel_size', 'value'], [['--pipeline-parallel-size', '-pp'], 'pipeline_parallel_size', 'value'],
  [['--data-parallel-size', '-dp'], 'data_parallel_size', 'value'], [['--data-parallel-size-local', '-dpl'], 'data_parallel_size_local', 'value'],
  [['--data-parallel-address', '-dpa'], 'data_parallel_address', 'value'], [['--data-parallel-rpc-port', '-dpp'], 'data_parallel_rpc_port', 'value'],
  [['--data-parallel-start-rank', '-dpr'], 'data_parallel_start_rank', 'value'], [['--headless'], 'headless', 'bool'],
  [['--enable-expert-parallel'], 'enable_expert_parallel', 'bool'], [['--enable-eplb'], 'enable_eplb', 'bool'],
  [['--max-model-len'], 'max_model_len', 'value'], [['--max-num-seqs'], 'max_num_seqs', 'value'],
  [['--max-num-batched-tokens'], 'max_num_batched_tokens', 'value'], [['--gpu-memory-utilization'], 'gpu_memory_utilization', 'value'],
  [['--reasoning-parser'], 'reasoning_parser', 'value'], [['--enable-reasoning'], 'enable_reasoning', 'bool'],
  [['--trust-remote-code'], 'trust_remote_code', 'bool'], [['--enforce-eager'], 'enforce_eager', 'bool'],
  [['--distributed-executor-backend'], 'distributed_executor_backend', 'value'], [['--kv-cache-dtype'], 'kv_cache_dtype', 'value'],
  [['--quantization', '-q'], 'quantization', 'value'], [['--dtype'], 'dtype', 'value'], [['--block-size'], 'block_size', 'value'],
  [['--swap-space'], 'swap_space', 'value'], [['--enable-chunked-prefill'], 'enable_chunked_prefill', 'bool'],
  [['--no-enable-chunked-prefill'], 'enable_chunked_prefill', 'bool'], [['--enable-prefix-caching'], 'enable_prefix_caching', 'bool'],
  [['--no-enable-prefix-caching'], 'enable_prefix_caching', 'bool'], [['--disable-log-requests'], 'disable_log_requests', 'bool'],
  [['--enable-log-requests'], 'enable_log_requests', 'bool'], [['--disable-log-stats'], 'disable_log_stats', 'bool'],
  [['--uvicorn-log-level'], 'uvicorn_log_level', 'value'], [['--generation-config'], 'generation_config', 'value'],
  [['--tokenizer'], 'tokenizer', 'value'], [['--seed'], 'seed', 'value'], [['--download-dir'], 'download_dir', 'value'],
  [['--load-format'], 'load_format', 'value'], [['--enable-force-include-usage'], 'enable_force_include_usage', 'bool'],
  [['--api-server-count'], 'api_server_count', 'value'], [['--compilation-config', '-O'], 'compilation_config', 'value'],
  [['--async-scheduling'], 'async_scheduling', 'bool'], [['--cuda-graph-sizes'], 'cuda_graph_sizes', 'multi'],
  [['--max-seq-len-to-capture'], 'max_seq_len_to_capture', 'value'], [['--enable-auto-tool-choice'], 'enable_auto_tool_choice', 'bool'],
  [['--tool-call-parser'], 'tool_call_parser', 'value'], [['--chat-template'], 'chat_template', 'value'],
  [['--revision'], 'revision', 'value'], [['--hf-overrides'], 'hf_overrides', 'value'], [['--speculative-config'], 'speculative_config', 'value'],
  [['--all2all-backend'], 'all2all_backend', 'value'], [['--root-path'], 'root_path', 'value'], [['--ray-workers-use-nsight'], 'ray_workers_use_nsight', 'bool'],
  [['--enable-metrics'], 'enable_metrics_noop', 'bool'],
  // DeepSeek V3.2 / V4 / V4.1 recipe flags (reference §3.2).
  [['--tokenizer-mode'], 'tokenizer_mode', 'value'], [['--reasoning-config'], 'reasoning_config', 'value'],
  [['--moe-backend'], 'moe_backend', 'value'], [['--language-model-only'], 'language_model_only', 'bool'],
  [['--max-cudagraph-capture-size'], 'max_cudagraph_capture_size', 'value'], [['--enable-flashinfer-autotune'], 'enable_flashinfer_autotune', 'bool'],
  [['--no-enable-flashinfer-autotune'], 'enable_flashinfer_autotune', 'bool'], [['--data-parallel-hybrid-lb'], 'data_parallel_hybrid_lb', 'bool'],
  [['--disable-hybrid-kv-cache-manager'], 'disable_hybrid_kv_cache_manager', 'bool'], [['--no-disable-hybrid-kv-cache-manager'], 'disable_hybrid_kv_cache_manager', 'bool'],
  [['--enable-sleep-mode'], 'enable_sleep_mode', 'bool'], [['--eplb-config'], 'eplb_config', 'value'], [['--kv-transfer-config'], 'kv_transfer_config', 'value'],
  [['--nnodes'], 'nnodes', 'value'], [['--node-rank'], 'node_rank', 'value'], [['--master-addr'], 'master_addr', 'value'],
  [['--kv-cache-memory-bytes'], 'kv_cache_memory_bytes', 'value'], [['--attention-backend'], 'attention_backend', 'value'],
]);

/** vLLM's dotted config flags (`--attention_config.indexer_kv_dtype=mxfp4`): accepted for these config groups. */
const VLLM_DOTTED = ['--attention-config.', '--kernel-config.', '--compilation-config.', '--speculative-config.'];

const SGLANG_FLAGS = table([
  [['--model-path', '--model'], 'model_path', 'value'], [['--tokenizer-path'], 'tokenizer_path', 'value'],
  [['--host'], 'host', 'value'], [['--port'], 'port', 'value'], [['--api-key'], 'api_key', 'value'],
  [['--served-model-name'], 'served_model_name', 'value'], [['--tp-size', '--tp'], 'tp_size', 'value'],
  [['--dp-size', '--dp'], 'dp_size', 'value'], [['--ep-size', '--ep'], 'ep_size', 'value'], [['--pp-size', '--pp'], 'pp_size', 'value'],
  [['--enable-dp-attention'], 'enable_dp_attention', 'bool'], [['--enable-ep-moe'], 'enable_ep_moe', 'bool'],
  [['--context-length'], 'context_length', 'value'], [['--max-running-requests'], 'max_running_requests', 'value'],
  [['--chunked-prefill-size'], 'chunked_prefill_size', 'value'], [['--max-prefill-tokens'], 'max_prefill_tokens', 'value'],
  [['--mem-fraction-static'], 'mem_fraction_static', 'value'], [['--reasoning-parser'], 'reasoning_parser', 'value'],
  [['--trust-remote-code'], 'trust_remote_code', 'bool'], [['--enable-torch-compile'], 'enable_torch_compile', 'bool'],
  [['--torch-compile-max-bs'], 'torch_compile_max_bs', 'value'], [['--kv-cache-dtype'], 'kv_cache_dtype', 'value'],
  [['--quantization'], 'quantization', 'value'], [['--enable-metrics'], 'enable_metrics', 'bool'], [['--log-level'], 'log_level', 'value'],
  [['--disable-radix-cache'], 'disable_radix_cache', 'bool'], [['--cuda-graph-max-bs'], 'cuda_graph_max_bs', 'value'],
  [['--disable-cuda-graph'], 'disable_cuda_graph', 'bool'], [['--attention-backend'], 'attention_backend', 'value'],
  [['--watchdog-timeout'], 'watchdog_timeout', 'value'], [['--download-dir'], 'download_dir', 'value'],
  [['--nnodes'], 'nnodes', 'value'], [['--node-rank'], 'node_rank', 'value'], [['--dist-init-addr'], 'dist_init_addr', 'value'],
  [['--random-seed'], 'random_seed', 'value'], [['--tool-call-parser'], 'tool_call_parser', 'value'], [['--dtype'], 'dtype', 'value'],
  [['--moe-a2a-backend'], 'moe_a2a_backend', 'value'], [['--enable-deepep-moe'], 'enable_deepep_moe', 'bool'],
  // DeepSeek V3.2 / V4 / V4.1 cookbook flags (reference §3.3).
  [['--speculative-algorithm'], 'speculative_algorithm', 'value'], [['--speculative-num-steps'], 'speculative_num_steps', 'value'],
  [['--speculative-eagle-topk'], 'speculative_eagle_topk', 'value'], [['--speculative-num-draft-tokens'], 'speculative_num_draft_tokens', 'value'],
  [['--speculative-dspark-block-size'], 'speculative_dspark_block_size', 'value'], [['--moe-runner-backend'], 'moe_runner_backend', 'value'],
  [['--disable-flashinfer-autotune'], 'disable_flashinfer_autotune', 'bool'], [['--swa-full-tokens-ratio'], 'swa_full_tokens_ratio', 'value'],
  [['--deepep-config'], 'deepep_config', 'value'], [['--cuda-graph-max-bs-decode'], 'cuda_graph_max_bs_decode', 'value'],
  [['--cuda-graph-max-bs-prefill'], 'cuda_graph_max_bs_prefill', 'value'], [['--cuda-graph-backend-prefill'], 'cuda_graph_backend_prefill', 'value'],
  [['--tokenizer-worker-num'], 'tokenizer_worker_num', 'value'], [['--enable-prefill-delayer'], 'enable_prefill_delayer', 'bool'],
  [['--page-size'], 'page_size', 'value'], [['--enforce-shared-experts-fusion'], 'enforce_shared_experts_fusion', 'bool'],
  [['--disable-shared-experts-fusion'], 'disable_shared_experts_fusion', 'bool'], [['--enable-two-batch-overlap'], 'enable_two_batch_overlap', 'bool'],
  [['--dsa-prefill-backend'], 'dsa_prefill_backend', 'value'], [['--dsa-decode-backend'], 'dsa_decode_backend', 'value'],
  [['--nsa-prefill-backend'], 'nsa_prefill_backend', 'value'], [['--nsa-decode-backend'], 'nsa_decode_backend', 'value'],
  [['--dist-timeout'], 'dist_timeout', 'value'], [['--enable-decoder-swa-bounded-replay'], 'enable_decoder_swa_bounded_replay', 'bool'],
  [['--enable-deepseek-v4-fp4-indexer'], 'enable_deepseek_v4_fp4_indexer', 'bool'],
]);

const VLLM_SERVE_USAGE = 'usage: vllm serve [model_tag] [options]';
const VLLM_API_USAGE = 'usage: api_server.py [-h] [--host HOST] [--port PORT] [--model MODEL] [options]';
const SGLANG_USAGE = 'usage: launch_server.py [-h] --model-path MODEL_PATH [--tokenizer-path TOKENIZER_PATH] [--host HOST] [--port PORT] [options]';

type Given = Record<string, string | boolean | string[]>;

function parseFlags(argv: readonly string[], flags: Map<string, FlagSpec>, normalizeUnderscores: boolean, usage: string, prog: string): { given: Given; positionals: string[] } {
  const given: Given = {};
  const positionals: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (!tok.startsWith('-') || tok === '-') {
      positionals.push(tok);
      continue;
    }
    let name = tok;
    let inline: string | undefined;
    const eq = tok.indexOf('=');
    if (tok.startsWith('--') && eq > 0) {
      name = tok.slice(0, eq);
      inline = tok.slice(eq + 1);
    }
    if (normalizeUnderscores && name.startsWith('--')) name = '--' + name.slice(2).replace(/_/g, '-');
    const spec = flags.get(name) ?? (normalizeUnderscores && VLLM_DOTTED.some((p) => name.startsWith(p)) ? { dest: name.slice(2).replace(/-/g, '_'), kind: 'value' as const } : undefined);
    if (!spec) {
      unknown.push(tok);
      // argparse reports the unknown flag and whatever values follow it as unrecognized too.
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) unknown.push(argv[++i]);
      continue;
    }
    if (spec.kind === 'bool') {
      given[spec.dest] = !name.startsWith('--no-');
      continue;
    }
    if (spec.kind === 'multi') {
      const vals: string[] = inline !== undefined ? [inline] : [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) vals.push(argv[++i]);
      if (vals.length === 0) throw new ArgparseError(usage, prog, `argument ${name}: expected at least one argument`);
      given[spec.dest] = vals;
      continue;
    }
    const val = inline ?? argv[++i];
    if (val === undefined || (inline === undefined && val.startsWith('--'))) throw new ArgparseError(usage, prog, `argument ${name}: expected one argument`);
    given[spec.dest] = val;
  }
  if (unknown.length) throw new ArgparseError(usage, prog, `unrecognized arguments: ${unknown.join(' ')}`);
  return { given, positionals };
}

function int(given: Given, key: string, def: number, usage: string, prog: string, flag: string): number {
  const v = given[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ArgparseError(usage, prog, `argument ${flag}: invalid int value: '${String(v)}'`);
  return n;
}

function float(given: Given, key: string, def: number, usage: string, prog: string, flag: string): number {
  const v = given[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ArgparseError(usage, prog, `argument ${flag}: invalid float value: '${String(v)}'`);
  return n;
}

const str = (given: Given, key: string): string | undefined => (typeof given[key] === 'string' ? (given[key]) : undefined);

/** Accepts `vllm serve M …`, the vLLM image's api_server flags (`--model M …`), and `python3 -m sglang.launch_server …`. */
export function parseEngineCommand(argv: readonly string[]): EngineConfig {
  const a = [...argv];
  if (a[0] === 'vllm' && a[1] === 'serve') return parseVllm(a.slice(2), 'vllm serve', VLLM_SERVE_USAGE);
  const m = /^python[0-9.]*$/.test(a[0] ?? '') && a[1] === '-m' ? a[2] : undefined;
  if (m === 'sglang.launch_server') return parseSglang(a.slice(3));
  // Newer SGLang cookbook pages use `sglang serve …` with the same arguments (reference §3.3).
  if (a[0] === 'sglang' && a[1] === 'serve') return parseSglang(a.slice(2));
  if (m === 'vllm.entrypoints.openai.api_server') return parseVllm(a.slice(3), 'api_server.py', VLLM_API_USAGE);
  if (a[0]?.startsWith('--')) return parseVllm(a, 'api_server.py', VLLM_API_USAGE);
  throw new ArgparseError('usage: deepseek-deploy simulate [options] -- ENGINE_COMMAND', 'deepseek-deploy simulate',
    `unknown engine command "${a.slice(0, 3).join(' ')}": expected "vllm serve MODEL …", "--model MODEL …" (vLLM image) or "python3 -m sglang.launch_server …"`);
}

function parseVllm(argv: string[], prog: string, usage: string): EngineConfig {
  const { given, positionals } = parseFlags(argv, VLLM_FLAGS, true, usage, prog);
  const model = positionals[0] ?? str(given, 'model') ?? 'facebook/opt-125m';
  if (positionals.length > (prog === 'vllm serve' ? 1 : 0)) throw new ArgparseError(usage, prog, `unrecognized arguments: ${positionals.slice(prog === 'vllm serve' ? 1 : 0).join(' ')}`);
  const kv = str(given, 'kv_cache_dtype') ?? 'auto';
  const dp = int(given, 'data_parallel_size', 1, usage, prog, '--data-parallel-size/-dp');
  return {
    flavor: 'vllm',
    prog,
    model,
    servedModelNames: (Array.isArray(given.served_model_name) ? given.served_model_name : undefined) ?? [model],
    host: str(given, 'host') ?? '0.0.0.0',
    port: int(given, 'port', 8000, usage, prog, '--port'),
    tp: int(given, 'tensor_parallel_size', 1, usage, prog, '--tensor-parallel-size/-tp'),
    dp,
    pp: int(given, 'pipeline_parallel_size', 1, usage, prog, '--pipeline-parallel-size/-pp'),
    expertParallel: given.enable_expert_parallel === true,
    // vLLM's DP for MoE models is DP attention: each DP rank schedules its own sequences.
    dpAttention: dp > 1,
    maxModelLen: given.max_model_len !== undefined ? int(given, 'max_model_len', 0, usage, prog, '--max-model-len') : undefined,
    maxNumSeqs: int(given, 'max_num_seqs', 256, usage, prog, '--max-num-seqs'),
    maxNumBatchedTokens: int(given, 'max_num_batched_tokens', 8192, usage, prog, '--max-num-batched-tokens'),
    gpuMemoryUtilization: float(given, 'gpu_memory_utilization', 0.9, usage, prog, '--gpu-memory-utilization'),
    reasoningParser: str(given, 'reasoning_parser'),
    apiKey: str(given, 'api_key'),
    kvCacheDtype: kv.startsWith('fp8') ? 'fp8' : 'auto',
    enforceEager: given.enforce_eager === true,
    enableMetrics: true,
    nnodes: 1,
    nodeRank: 0,
    given,
  };
}

function parseSglang(argv: string[]): EngineConfig {
  const prog = 'launch_server.py';
  const { given, positionals } = parseFlags(argv, SGLANG_FLAGS, false, SGLANG_USAGE, prog);
  if (positionals.length) throw new ArgparseError(SGLANG_USAGE, prog, `unrecognized arguments: ${positionals.join(' ')}`);
  const model = str(given, 'model_path');
  if (!model) throw new ArgparseError(SGLANG_USAGE, prog, 'the following arguments are required: --model-path/--model');
  const tp = int(given, 'tp_size', 1, SGLANG_USAGE, prog, '--tp-size');
  const dpAttention = given.enable_dp_attention === true;
  const kv = str(given, 'kv_cache_dtype') ?? 'auto';
  return {
    flavor: 'sglang',
    prog,
    model,
    servedModelNames: [str(given, 'served_model_name') ?? model],
    host: str(given, 'host') ?? '127.0.0.1',
    port: int(given, 'port', 30000, SGLANG_USAGE, prog, '--port'),
    tp,
    // With DP attention SGLang splits the TP group into DP attention ranks; the GPUs used stay tp.
    dp: 1,
    pp: int(given, 'pp_size', 1, SGLANG_USAGE, prog, '--pp-size'),
    expertParallel: given.enable_ep_moe === true || int(given, 'ep_size', 1, SGLANG_USAGE, prog, '--ep-size') > 1,
    dpAttention,
    maxModelLen: given.context_length !== undefined ? int(given, 'context_length', 0, SGLANG_USAGE, prog, '--context-length') : undefined,
    maxNumSeqs: int(given, 'max_running_requests', 512, SGLANG_USAGE, prog, '--max-running-requests'),
    maxNumBatchedTokens: int(given, 'chunked_prefill_size', 8192, SGLANG_USAGE, prog, '--chunked-prefill-size'),
    gpuMemoryUtilization: float(given, 'mem_fraction_static', 0.88, SGLANG_USAGE, prog, '--mem-fraction-static'),
    reasoningParser: str(given, 'reasoning_parser'),
    apiKey: str(given, 'api_key'),
    kvCacheDtype: kv.startsWith('fp8') ? 'fp8' : 'auto',
    enforceEager: given.disable_cuda_graph === true,
    enableMetrics: given.enable_metrics === true,
    nnodes: int(given, 'nnodes', 1, SGLANG_USAGE, prog, '--nnodes'),
    nodeRank: int(given, 'node_rank', 0, SGLANG_USAGE, prog, '--node-rank'),
    distInitAddr: str(given, 'dist_init_addr'),
    given,
  };
}

/**
 * Flags whose fate depends on the engine release. vLLM deprecated --enable-reasoning in 0.9.0 (PR #17452: a warning,
 * the parser alone enables reasoning) and no longer accepts it from 0.10.0 (users report "unrecognized arguments:
 * --enable-reasoning" on 0.10.0, vllm-project/vllm#18538). Returns the warnings the engine would log; throws like
 * argparse when the flag is gone.
 */
export function checkFlagsForVersion(cfg: EngineConfig, version: string): string[] {
  if (cfg.flavor !== 'vllm' || cfg.given.enable_reasoning === undefined) return [];
  const usage = cfg.prog === 'vllm serve' ? VLLM_SERVE_USAGE : VLLM_API_USAGE;
  if (compareVersions(version, '0.10.0') >= 0) throw new ArgparseError(usage, cfg.prog, 'unrecognized arguments: --enable-reasoning');
  return compareVersions(version, '0.9.0') >= 0 ? ['The parameter --enable-reasoning is deprecated.'] : [];
}
