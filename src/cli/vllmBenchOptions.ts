import { BENCH_PRESETS } from '../core/bench/presets';
import { PyFloat } from '../core/bench/pyFormat';

/** How argparse reads an option's value (vLLM's add_argument `type`/`action`/`nargs`). */
export type OptKind = 'int' | 'float' | 'str' | 'flag' | 'json' | 'list*' | 'list+' | 'boolopt' | 'literal';

/** What our HTTP client does with an option. */
export type OptUse = 'used' | 'recorded' | 'unsupported';

export interface OptSpec {
  /** Namespace attribute (`num_prompts`); the flag is `--num-prompts`. */
  readonly dest: string;
  readonly kind: OptKind;
  /** argparse's default as Python holds it (PyFloat for floats), shown in the Namespace line. */
  readonly def: unknown;
  readonly choices?: readonly string[];
  readonly use: OptUse;
  /** For 'recorded': why it changes nothing here; for 'unsupported': what to do instead. */
  readonly note?: string;
}

const f = (x: number): PyFloat => new PyFloat(x);
const o = (dest: string, kind: OptKind, def: unknown, use: OptUse = 'used', extra: Partial<OptSpec> = {}): OptSpec => ({ dest, kind, def, use, ...extra });

const TOKENIZER_NOTE = 'accepted and recorded: prompts are sent as token ids and counted by the server, so no local tokenizer is loaded';

/** vLLM's `--backend` choices (endpoint_request_func.py ASYNC_REQUEST_FUNCS). */
export const VLLM_BACKENDS = ['vllm', 'openai', 'openai-chat', 'openai-audio', 'openai-embeddings', 'openai-embeddings-chat', 'openai-embeddings-clip', 'openai-embeddings-vlm2vec', 'infinity-embeddings', 'infinity-embeddings-clip', 'vllm-pooling', 'vllm-rerank'] as const;

/** vLLM's `--dataset-name` choices (datasets add_dataset_parser, plus timed_trace that serve.py handles). */
export const VLLM_DATASETS = ['sharegpt', 'burstgpt', 'sonnet', 'random', 'random-mm', 'random-rerank', 'hf', 'custom', 'prefix_repetition', 'spec_bench', 'txt-slices', 'timed_trace'] as const;

/**
 * Every option of `vllm bench serve`, in the order of its Namespace (vllm/benchmarks/serve.py add_cli_args at commit
 * 009e6d4a, which first calls the datasets' add_dataset_parser), with argparse's defaults; the reference printout in
 * shared/reference/vllm-results/*.stdout.txt shows the same Namespace line. `request_id_prefix`'s default is random
 * (`bench-<8 hex>-`) and filled in per run.
 */
export const VLLM_BENCH_OPTIONS: readonly OptSpec[] = [
  o('seed', 'int', 0),
  o('num_prompts', 'int', 1000),
  o('dataset_name', 'str', 'random', 'used', { choices: VLLM_DATASETS }),
  o('no_stream', 'flag', false, 'recorded', { note: 'only changes how Hugging Face datasets are loaded' }),
  o('dataset_path', 'str', null),
  o('no_oversample', 'flag', false),
  o('skip_chat_template', 'flag', false),
  o('disable_shuffle', 'flag', false),
  o('custom_output_len', 'int', 256),
  o('spec_bench_output_len', 'int', 256, 'recorded', { note: 'only used by --dataset-name spec_bench' }),
  o('spec_bench_category', 'str', null, 'recorded', { note: 'only used by --dataset-name spec_bench' }),
  o('sonnet_input_len', 'int', 550),
  o('sonnet_output_len', 'int', 150),
  o('sonnet_prefix_len', 'int', 200),
  o('sharegpt_output_len', 'int', null),
  o('blazedit_min_distance', 'float', f(0), 'recorded', { note: 'only used by the Hugging Face blazedit dataset' }),
  o('blazedit_max_distance', 'float', f(1), 'recorded', { note: 'only used by the Hugging Face blazedit dataset' }),
  o('random_input_len', 'int', 1024),
  o('random_output_len', 'int', 128),
  o('random_range_ratio', 'float', f(0)),
  o('random_prefix_len', 'int', 0),
  o('random_batch_size', 'int', 1, 'recorded', { note: 'only used by embedding backends' }),
  o('no_reranker', 'flag', false, 'recorded', { note: 'only used by --dataset-name random-rerank' }),
  o('random_mm_base_items_per_request', 'int', 1, 'recorded', { note: 'only used by --dataset-name random-mm' }),
  o('random_mm_num_mm_items_range_ratio', 'float', f(0), 'recorded', { note: 'only used by --dataset-name random-mm' }),
  o('random_mm_limit_mm_per_prompt', 'json', { image: 255, video: 1 }, 'recorded', { note: 'only used by --dataset-name random-mm' }),
  o('random_mm_bucket_config', 'literal', null, 'recorded', { note: 'only used by --dataset-name random-mm' }),
  o('hf_subset', 'str', null, 'recorded', { note: 'only used by --dataset-name hf' }),
  o('hf_split', 'str', null, 'recorded', { note: 'only used by --dataset-name hf' }),
  o('hf_name', 'str', null, 'recorded', { note: 'only used by --dataset-name hf' }),
  o('hf_output_len', 'int', null, 'recorded', { note: 'only used by --dataset-name hf' }),
  o('prefix_repetition_prefix_len', 'int', 256),
  o('prefix_repetition_suffix_len', 'int', 256),
  o('prefix_repetition_num_prefixes', 'int', 10),
  o('prefix_repetition_output_len', 'int', 128),
  o('trust_remote_code', 'flag', false, 'recorded', { note: TOKENIZER_NOTE }),
  o('label', 'str', null),
  o('backend', 'str', 'openai', 'used', { choices: VLLM_BACKENDS }),
  o('base_url', 'str', null),
  o('host', 'str', '127.0.0.1'),
  o('port', 'int', 8000),
  o('endpoint', 'str', '/v1/completions'),
  o('header', 'list*', null),
  o('max_concurrency', 'int', null),
  o('model', 'str', null),
  o('input_len', 'int', null),
  o('output_len', 'int', null),
  o('tokenizer', 'str', null, 'recorded', { note: TOKENIZER_NOTE }),
  o('tokenizer_mode', 'str', 'auto', 'recorded', { note: TOKENIZER_NOTE }),
  o('use_beam_search', 'flag', false, 'recorded', { note: 'vllm bench serve itself does not use it' }),
  o('logprobs', 'int', null),
  o('request_rate', 'float', f(Infinity)),
  o('burstiness', 'float', f(1)),
  o('probe_request_rate', 'float', f(0)),
  o('disable_tqdm', 'flag', false),
  o('num_warmups', 'int', 0),
  o('profile', 'flag', false),
  o('save_result', 'flag', false),
  o('save_detailed', 'flag', false),
  o('append_result', 'flag', false),
  o('metadata', 'list*', null),
  o('result_dir', 'str', null),
  o('result_filename', 'str', null),
  o('ignore_eos', 'flag', false),
  o('self_timed', 'boolopt', null),
  o('percentile_metrics', 'str', null),
  o('metric_percentiles', 'str', '99'),
  o('goodput', 'list+', null),
  o('request_id_prefix', 'str', null),
  o('top_p', 'float', null),
  o('top_k', 'int', null),
  o('min_p', 'float', null),
  o('temperature', 'float', null),
  o('frequency_penalty', 'float', null),
  o('presence_penalty', 'float', null),
  o('repetition_penalty', 'float', null),
  o('served_model_name', 'str', null),
  o('lora_modules', 'list+', null),
  o('lora_assignment', 'str', 'random', 'used', { choices: ['random', 'round-robin'] }),
  o('ramp_up_strategy', 'str', null, 'used', { choices: ['linear', 'exponential'] }),
  o('ramp_up_start_rps', 'int', null),
  o('ramp_up_end_rps', 'int', null),
  o('ready_check_timeout_sec', 'int', 0),
  o('chat_template_kwargs', 'json', null),
  o('extra_body', 'json', null),
  o('skip_tokenizer_init', 'flag', false),
  o('insecure', 'flag', false),
  o('plot_timeline', 'flag', false),
  o('timeline_itl_thresholds', 'str', '25,50'),
  o('plot_dataset_stats', 'flag', false, 'recorded', { note: 'the matplotlib PNG is not drawn here; use --plot-timeline for an HTML view' }),
];

/** Options of ours, after vLLM's. */
export const OUR_BENCH_OPTIONS: readonly OptSpec[] = [
  o('json', 'flag', false),
  o('compat', 'str', 'truth', 'used', { choices: ['truth', 'vllm'] }),
  o('thinking', 'str', null, 'used', { choices: ['off', 'on', 'high', 'max'] }),
  // A one-run preset of core/bench/presets.ts (e.g. v4-agentic-tools) replaces the dataset, rate and concurrency.
  o('preset', 'str', null, 'used', { choices: BENCH_PRESETS.filter((p) => p.runs.length === 1).map((p) => p.id) }),
  o('sglang_metrics', 'flag', false),
  o('api_key_env', 'str', null),
  o('transport', 'str', null, 'used', { choices: ['raw', 'undici'] }),
  // Stream bounds (streamFlags.ts): largest SSE event, seconds to the first data, seconds between data.
  o('max_event_bytes', 'int', null),
  o('first_token_timeout', 'float', null),
  o('idle_timeout', 'float', null),
];
