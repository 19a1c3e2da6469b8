import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BenchConfig, BenchRun } from '../core/bench/runBenchmark';
import type { Goodput, MetricName } from '../core/bench/metrics';
import { METRIC_NAMES } from '../core/bench/metrics';
import { PyFloat, pyRepr } from '../core/bench/pyFormat';
import { burstgptRequests, customRequests, prefixRepetitionRequests, sharegptRequests, sonnetRequests, type FileDatasetOptions } from '../core/bench/fileDatasets';
import { DEEPSEEK_TOKENIZER } from '../core/bench/workload';
import { BENCH_PRESETS } from '../core/bench/presets';
import { timelineHtml } from '../core/bench/timelineHtml';
import type { LegacyRandomState } from '../core/bench/numpyRandom';
import { ArgError, parseVllmArgs } from './vllmArgParse';
import { OUR_BENCH_OPTIONS, VLLM_BENCH_OPTIONS } from './vllmBenchOptions';
import type { ThinkingLevel } from '../core/chat/thinkingControl';
import { STREAM_HELP, streamLimitsFromArgs } from './streamFlags';
import { resolveResultPath, saveResultFile } from '../core/bench/resultFiles';
import { writeFileNoFollow } from '../core/security/safeWrite';
import { checkBaseUrl, redactDeep, redactText } from '../core/security/redact';

type BenchApi = typeof import('../core/bench/benchApi');

export const BENCH_HELP = `usage: deepseek-deploy bench [serve] [any \`vllm bench serve\` option …] [--compat vllm] [--thinking off|on|high|max] [--json]

A copy of \`vllm bench serve\` for any OpenAI-compatible endpoint: the same options (all ${VLLM_BENCH_OPTIONS.length}, with argparse's rules:
--opt=value, --opt_name, unique prefixes, nargs lists), the same traffic for the same --seed (numpy's generators,
bit for bit), the same printout and the same result file (vLLM's keys, order and JSON types, plus a deepseek_deploy
block). Prompts are sent as token ids, so no local tokenizer is needed: --tokenizer, --tokenizer-mode and
--trust-remote-code are accepted and recorded.

Implemented: backends openai / vllm (/v1/completions) and openai-chat (/v1/chat/completions); datasets random (with
prefix and range ratio), sharegpt, sonnet, custom (JSONL, or our prompt file: a JSON array / JSONL of strings or
{"prompt", "output_len"}), prefix_repetition, burstgpt; --request-rate/--burstiness/--ramp-up-*, --max-concurrency,
--num-warmups, --ready-check-timeout-sec, --probe-request-rate, --profile, sampling parameters, --extra-body,
--header, --metadata, --served-model-name, --lora-modules, --request-id-prefix, --percentile-metrics (incl.
client_queue_time, e2el_including_client_queue), --metric-percentiles, --goodput, --save-result/--save-detailed/
--append-result, --plot-timeline (a self-contained .timeline.html next to the result), --insecure.
Not available here (fails before any request, saying what to do): pooling/audio backends, Hugging Face datasets
(hf, spec_bench, txt-slices, random-mm, random-rerank: no network here; download the data and use a file dataset).

Ours:
  --compat truth|vllm     counting mode (default truth: a stream carrying {"error": …} fails its request and
                          connections open before the clock; vllm: vLLM's own figures, flaws included)
  --thinking off|on|high|max   the model's thinking mode, sent as its chat control asks (refused where the model
                          has no such level; chat backends only) and recorded in the result
  --sglang-metrics        SGLang bench_serving's definitions and printout instead of vLLM's
  --api-key-env VAR       Bearer token from this environment variable (default OPENAI_API_KEY if set)
  --transport raw|undici  HTTP client for the stream, http:// and https:// (default raw)
  --preset ID             run a one-run preset instead of the dataset options: latency, llmperf, v4-agentic-shape,
                          v4-agentic-tools (multi-turn sessions with tool calls on /v1/chat/completions; needs a
                          server started with a tool-call parser, vLLM: --tool-call-parser … --enable-auto-tool-choice)
  --json                  print the result object instead of the printout
${STREAM_HELP}Chat runs add a reasoning section (TTFO, thinking time, reasoning/answer tokens) after vLLM's block.
Exit status: 0 ok (even with failed requests, which are counted), 1 no request succeeded, 2 bad arguments.
`;

/** Thrown for what this client cannot do; the message says what to do instead. */
class Unsupported extends Error {}

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : v instanceof PyFloat ? v.value : (v as number));

/** vLLM's --goodput items (serve.py parse_goodput / check_goodput_args), with its messages. */
export function parseGoodput(items: readonly string[]): Goodput | undefined {
  if (!items.length) return undefined;
  const g: Goodput = {};
  for (const it of items) {
    const parts = it.split(':');
    const n = parts.length === 2 ? Number(parts[1]) : NaN;
    if (parts.length !== 2 || Number.isNaN(n)) throw new Error('Invalid format found for service level objectives. Specify service level objectives for goodput as "KEY:VALUE" pairs, where the key is a metric name, and the value is a number in milliseconds.');
    const k = parts[0];
    if (k !== 'ttft' && k !== 'tpot' && k !== 'e2el') throw new Error(`Invalid metric name found, ${k}: ${n}. The service level objective name should be one of ['ttft', 'tpot', 'e2el']. `);
    if (n < 0) throw new Error(`Invalid value found, ${k}: ${n}. The service level objective value should be non-negative.`);
    g[k] = n;
  }
  return g;
}

const kv = (items: readonly string[], what: 'header' | 'metadata'): [string, string][] =>
  items.map((it) => {
    const i = it.indexOf('=');
    if (i < 0) throw new Error(`Invalid ${what} format. Please use KEY=VALUE format.`);
    return [it.slice(0, i).trim(), it.slice(i + 1).trim()];
  });


interface Built {
  cfg: BenchConfig;
  ns: Map<string, unknown>;
  log: string[];
  json: boolean;
}

/** argv → BenchConfig with vLLM's checks, in serve.py main_async's order; errors say what to change. */
export function buildBenchConfig(argv: readonly string[]): Built | { help: true } {
  const args = argv[0] === 'serve' ? argv.slice(1) : argv;
  const parsed = parseVllmArgs(args, [...VLLM_BENCH_OPTIONS, ...OUR_BENCH_OPTIONS]);
  if (parsed.help) return { help: true };
  const ns = parsed.values;
  const v = <T>(k: string): T => ns.get(k) as T;
  if (v<string | null>('request_id_prefix') === null) ns.set('request_id_prefix', `bench-${randomBytes(4).toString('hex')}-`);
  const preset = BENCH_PRESETS.find((p) => p.id === v<string | null>('preset'));
  if (preset && v<string>('dataset_name') !== 'random') throw new ArgError(`--preset ${preset.id} brings its own workload; leave out --dataset-name ${v<string>('dataset_name')}`);
  const log: string[] = [];
  const maxConc = v<number | null>('max_concurrency');
  if (maxConc !== null && maxConc <= 0) throw new Error('--max-concurrency must be greater than 0');
  let thresholds: [number, number] = [0.025, 0.05];
  if (v<boolean>('plot_timeline')) {
    const t = v<string>('timeline_itl_thresholds').split(',').map((x) => Number(x.trim()));
    if (t.length !== 2 || t.some(Number.isNaN)) throw new Error(`Invalid --timeline-itl-thresholds format: Expected 2 ITL threshold values, got ${t.length}`);
    thresholds = [t[0] / 1000, t[1] / 1000];
  }
  const rate = num(v('request_rate'))!;
  const strategy = v<'linear' | 'exponential' | null>('ramp_up_strategy');
  const startRps = v<number | null>('ramp_up_start_rps');
  const endRps = v<number | null>('ramp_up_end_rps');
  if (strategy !== null) {
    if (rate !== Infinity) throw new Error('When using ramp-up, do not specify --request-rate. The request rate will be controlled by ramp-up parameters. Please remove the --request-rate argument.');
    if (startRps === null || endRps === null) throw new Error('When using --ramp-up-strategy, both --ramp-up-start-rps and --ramp-up-end-rps must be specified');
    if (startRps < 0 || endRps < 0) throw new Error('Ramp-up start and end RPS must be non-negative');
    if (startRps > endRps) throw new Error('Ramp-up start RPS must be less than end RPS');
    if (strategy === 'exponential' && startRps === 0) throw new Error('For exponential ramp-up, the start RPS cannot be 0.');
  }
  const backend = v<string>('backend');
  if (!['openai', 'vllm', 'openai-chat'].includes(backend)) throw new Unsupported(`--backend ${backend}: only generation backends are benchmarked here (openai, vllm, openai-chat); ${backend} measures ${backend.includes('audio') ? 'speech' : 'embedding/pooling'} endpoints — use vllm bench serve on a machine with vLLM installed for it`);
  const baseUrl = v<string | null>('base_url') ?? `http://${/:/.test(v<string>('host')) ? `[${v<string>('host')}]` : v<string>('host')}:${v<number>('port')}`;
  const endpoint = v<string>('endpoint');
  const chat = backend === 'openai-chat';
  // endpoint_request_func.py _validate_api_url: the same refusal, before any request instead of at the first one.
  if (chat && !endpoint.endsWith('chat/completions')) throw new Error(`OpenAI Chat Completions API URL must end with one of: {'chat/completions', 'profile'}. (--backend openai-chat needs --endpoint /v1/chat/completions; got ${endpoint})`);
  if (!chat && !endpoint.endsWith('completions')) throw new Error(`OpenAI Completions API URL must end with one of: {'completions', 'profile'}. (got --endpoint ${endpoint})`);
  const datasetName = v<string>('dataset_name');
  const datasetPath = v<string | null>('dataset_path');
  if (['random', 'random-mm', 'random-rerank', 'prefix_repetition'].includes(datasetName) && datasetPath !== null) throw new Error(`Cannot use '${datasetName}' dataset with --dataset-path. Please specify the appropriate --dataset-name (e.g., 'sharegpt', 'custom', 'hf') for your dataset file: ${datasetPath}`);
  if (datasetName === 'random-mm') throw new Unsupported('--dataset-name random-mm: this dataset needs images (synthetic pixels for a vision model), which this client does not build; use --dataset-name random for the text part');
  if (datasetName === 'random-rerank') throw new Unsupported('--dataset-name random-rerank: reranking is a pooling workload, which this client does not benchmark');
  if (datasetName === 'spec_bench') throw new Unsupported('--dataset-name spec_bench: not built here; turn question.jsonl into {"prompt": turns[0]} lines and use --dataset-name custom --custom-output-len 256');
  if (datasetName === 'txt-slices') throw new Unsupported('--dataset-name txt-slices: not built here; use --dataset-name custom with one {"prompt": …} line per slice');
  if (datasetName === 'hf' || (datasetPath !== null && !fs.existsSync(datasetPath) && /^[\w.-]+\/[\w.-]+$/.test(datasetPath))) {
    throw new Unsupported(`--dataset-name ${datasetName}${datasetPath ? ` --dataset-path ${datasetPath}` : ''}: this dataset comes from the Hugging Face Hub (or needs images), which is not reachable from here. Download it where there is network and pass the file: --dataset-name sharegpt|custom|sonnet|burstgpt --dataset-path FILE, or use --dataset-name random`);
  }
  if (datasetName === 'timed_trace') throw new Unsupported('--dataset-name timed_trace: trace replay is not implemented here; use --dataset-name burstgpt --dataset-path FILE.csv (its request/response sizes) with --request-rate, or --dataset-name custom');
  if (['sharegpt', 'sonnet', 'custom', 'burstgpt'].includes(datasetName) && datasetPath === null) throw new Error(`--dataset-name ${datasetName} needs --dataset-path FILE (dataset_path must be provided for loading data.)`);
  if (datasetPath !== null && !fs.existsSync(datasetPath)) throw new Error(`--dataset-path ${datasetPath}: no such file`);
  if (v<boolean | null>('self_timed') !== null) throw new Error('--self-timed/--no-self-timed is only supported with --dataset-name=timed_trace');
  // General lengths map to the dataset options (serve.py).
  if (v('input_len') !== null) ns.set('random_input_len', v('input_len'));
  if (v('output_len') !== null) for (const k of ['random_output_len', 'sharegpt_output_len', 'custom_output_len', 'hf_output_len', 'spec_bench_output_len', 'prefix_repetition_output_len']) ns.set(k, v('output_len'));
  // PR #28227: random datasets ignore EOS so generation runs to the requested length.
  if (datasetName === 'random') ns.set('ignore_eos', true);
  const ratio = num(v('random_range_ratio'))!;
  if (datasetName === 'random' && !(ratio >= 0 && ratio < 1)) throw new Error(`--random-range-ratio must be in [0, 1) (got ${pyRepr(v('random_range_ratio'))})`);
  const goodput = parseGoodput(v<string[] | null>('goodput') ?? []);
  const sampling: Record<string, unknown> = {};
  for (const k of ['top_p', 'top_k', 'min_p', 'temperature', 'frequency_penalty', 'presence_penalty', 'repetition_penalty']) {
    const x = num(v(k));
    if (x !== undefined) sampling[k] = x;
  }
  if (!('temperature' in sampling)) log.push('WARNING: vllm bench serve no longer sets temperature==0 (greedy) in requests by default. The default will be determined on the server side and can be model/API specific. For the old behavior, include --temperature=0.');
  const extraBody = { ...sampling, ...(v<Record<string, unknown> | null>('extra_body') ?? {}) };
  const metricsStr = v<string | null>('percentile_metrics') ?? 'ttft,tpot,itl';
  const metrics = metricsStr.split(',');
  for (const m of metrics) if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new Error(`--percentile-metrics: unknown metric "${m}" (allowed: ${METRIC_NAMES.join(', ')})`);
  const ps = v<string>('metric_percentiles').split(',').map((p) => {
    const n = Number(p);
    if (Number.isNaN(n) || p.trim() === '') throw new Error(`--metric-percentiles: could not convert string to float: '${p}'`);
    return n;
  });
  const keyEnv = v<string | null>('api_key_env') ?? (process.env.OPENAI_API_KEY ? 'OPENAI_API_KEY' : undefined);
  const apiKey = keyEnv ? process.env[keyEnv] : undefined;
  if (keyEnv && !apiKey) throw new Error(`$${keyEnv} is empty`);
  const headers = Object.fromEntries(kv(v<string[] | null>('header') ?? [], 'header'));
  const seed = v<number>('seed');
  const numPrompts = v<number>('num_prompts');
  const fileOpts: FileDatasetOptions = {
    numPrompts,
    seed,
    chat,
    disableShuffle: v('disable_shuffle'),
    noOversample: v('no_oversample'),
    skipChatTemplate: v('skip_chat_template'),
    sharegptOutputLen: v<number | null>('sharegpt_output_len') ?? undefined,
    customOutputLen: v('custom_output_len'),
    sonnet: { inputLen: v('sonnet_input_len'), outputLen: v('sonnet_output_len'), prefixLen: v('sonnet_prefix_len') },
  };
  let buildRequests: BenchConfig['buildRequests'];
  let arrivalRandom: LegacyRandomState | undefined;
  let requests: BenchConfig['requests'];
  const read = (): string => fs.readFileSync(datasetPath!, 'utf8');
  if (datasetName === 'sharegpt') buildRequests = ({ tokenizer }) => sharegptRequests(read(), fileOpts, tokenizer);
  else if (datasetName === 'custom') buildRequests = ({ tokenizer }) => customRequests(read(), fileOpts, tokenizer);
  else if (datasetName === 'sonnet') buildRequests = ({ tokenizer }) => sonnetRequests(read(), fileOpts, tokenizer);
  else if (datasetName === 'burstgpt') requests = burstgptRequests(read(), { numPrompts, seed, vocabSize: DEEPSEEK_TOKENIZER.vocabSize });
  else if (datasetName === 'prefix_repetition') {
    const pr = prefixRepetitionRequests({ numPrompts, seed, prefixLen: v('prefix_repetition_prefix_len'), suffixLen: v('prefix_repetition_suffix_len'), numPrefixes: v('prefix_repetition_num_prefixes'), outputLen: v('prefix_repetition_output_len'), vocabSize: DEEPSEEK_TOKENIZER.vocabSize, bosId: DEEPSEEK_TOKENIZER.bosId, disableShuffle: v('disable_shuffle') });
    requests = pr.requests;
    arrivalRandom = pr.legacy;
  }
  if (chat && requests) throw new Unsupported(`--dataset-name ${datasetName} builds token-id prompts, which chat endpoints do not take: use --backend openai --endpoint /v1/completions`);
  const sglang = v<boolean>('sglang_metrics');
  const cfg: BenchConfig = {
    baseUrl,
    backend: chat ? 'openai-chat' : 'openai',
    endpoint,
    model: v<string | null>('model') ?? undefined,
    servedModelName: v<string | null>('served_model_name') ?? undefined,
    apiKey,
    random: {
      numPrompts,
      inputLen: v('random_input_len'),
      outputLen: v('random_output_len'),
      rangeRatio: num(v('random_range_ratio'))!,
      prefixLen: v('random_prefix_len'),
      seed,
    },
    requests,
    buildRequests,
    datasetName,
    arrivalRandom,
    requestRate: rate,
    burstiness: num(v('burstiness'))!,
    rampUp: strategy ? { strategy, startRps: startRps!, endRps: endRps! } : undefined,
    maxConcurrency: maxConc ?? undefined,
    numWarmups: v('num_warmups'),
    ignoreEos: v('ignore_eos'),
    extraBody,
    headers,
    logprobs: v<number | null>('logprobs'),
    loraModules: v<string[] | null>('lora_modules') ?? undefined,
    loraAssignment: v('lora_assignment'),
    readyCheckTimeoutSec: v('ready_check_timeout_sec'),
    probeRequestRate: num(v('probe_request_rate')),
    profile: v('profile'),
    insecure: v('insecure'),
    keepText: v('save_detailed'),
    percentileMetrics: metrics as MetricName[],
    metricPercentiles: sglang ? [90, 95, 99] : ps,
    goodput,
    mode: sglang ? 'sglang' : 'vllm',
    counting: v<'truth' | 'vllm'>('compat'),
    label: v<string | null>('label') ?? undefined,
    requestIdPrefix: v('request_id_prefix'),
    transport: v<'raw' | 'undici' | null>('transport') ?? undefined,
    // Sent as the model's own chat control asks (catalog: chat_template_kwargs / reasoning_effort), recorded in the file.
    thinking: v<ThinkingLevel | null>('thinking') ?? undefined,
    limits: streamLimitsFromArgs((flag) => {
      const x = ns.get(flag.slice(2).replace(/-/g, '_'));
      if (x instanceof PyFloat) return String(x.value);
      return typeof x === 'number' || typeof x === 'string' ? String(x) : undefined;
    }),
  };
  if (preset) {
    // The preset's one run replaces the workload; the endpoint, thinking, limits and output options stay the user's.
    const { name, ...spec } = preset.runs[0];
    Object.assign(cfg, spec, { label: cfg.label ?? name.replace(/[^\w.-]+/g, '-') }, spec.agentic ? { backend: 'openai-chat', endpoint: '/v1/chat/completions' } : {});
    if (spec.agentic) ns.set('backend', 'openai-chat');
    ns.set('num_prompts', spec.agentic ? spec.agentic.sessions * spec.agentic.turns : spec.random.numPrompts);
  }
  checkBaseUrl(cfg.baseUrl);
  // Checked before the run, so a bad name never costs a benchmark.
  const requested = v<string | null>('result_filename');
  if (requested !== null) resolveResultPath(v<string | null>('result_dir') ?? '.', requested, 'x.json');
  void thresholds;
  return { cfg, ns, log, json: v('json') };
}

/** The Namespace(...) line vLLM prints first (header values redacted, as redact_sensitive_namespace does). */
export function namespaceLine(ns: ReadonlyMap<string, unknown>): string {
  const parts: string[] = [];
  for (const s of VLLM_BENCH_OPTIONS) {
    const val = ns.get(s.dest);
    parts.push(`${s.dest}=${s.dest === 'header' && Array.isArray(val) ? pyRepr(val.map((h: string) => `${h.split('=')[0]}=<redacted>`)) : pyRepr(val)}`);
  }
  return `Namespace(${parts.join(', ')})`;
}

export async function runBenchCli(argv: string[], loadBench: () => BenchApi): Promise<number> {
  let built: Built;
  try {
    const b = buildBenchConfig(argv);
    if ('help' in b) {
      process.stdout.write(BENCH_HELP);
      return 0;
    }
    built = b;
  } catch (e) {
    const usage = e instanceof ArgError;
    process.stderr.write(`deepseek-deploy bench: ${usage ? 'error: ' : ''}${(e as Error).message}\n`);
    return 2;
  }
  const { cfg, ns, json } = built;
  const v = <T>(k: string): T => ns.get(k) as T;
  const out = (line: string): void => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  out(namespaceLine(ns));
  if (!cfg.model) out('Model not specified, fetching first model from server...');
  const bench = loadBench();
  const ac = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling: finished requests are kept\n');
    ac.abort();
  });
  let run: BenchRun;
  try {
    run = await bench.runBenchmark(cfg, {
      signal: ac.signal,
      log: (l) => {
        // vLLM prints its sampling warning once the model is known, before the test run.
        if (l.startsWith('Starting initial')) for (const w of built.log.splice(0)) out(w);
        out(l);
      },
      note: (l) => process.stderr.write(`${l}\n`),
      onProgress: process.stderr.isTTY && !json && !v<boolean>('disable_tqdm') ? (p) => process.stderr.write(`\r${p.completed + p.failed}/${p.total} done · ${p.reqPerS.toFixed(2)} req/s · ${p.outTokPerS.toFixed(0)} tok/s   `) : undefined,
    });
  } catch (e) {
    process.stderr.write(`deepseek-deploy bench: ${(e as Error).message}\n`);
    return 1;
  }
  if (process.stderr.isTTY && !json && !v<boolean>('disable_tqdm')) process.stderr.write('\n');
  const failedTraces = run.traces.filter((t) => !t.success);
  if (failedTraces.length) {
    out('Failed requests during benchmark run detected (capping to 10):');
    failedTraces.slice(0, 10).forEach((t, i) => out(`Error ${i}: ${redactText(t.error ?? '', [cfg.apiKey])}`));
  }
  const skipTok = v<boolean>('skip_tokenizer_init');
  const metadata = kv(v<string[] | null>('metadata') ?? [], 'metadata');
  if (v<boolean>('plot_dataset_stats')) process.stderr.write('note: --plot-dataset-stats draws a matplotlib PNG in vLLM; not drawn here (the lengths are in the result file with --save-detailed)\n');
  const recorded: Record<string, unknown> = {};
  for (const s of VLLM_BENCH_OPTIONS) if (s.use === 'recorded' && JSON.stringify(ns.get(s.dest)) !== JSON.stringify(s.def)) recorded[s.dest] = ns.get(s.dest) instanceof PyFloat ? (ns.get(s.dest) as PyFloat).value : ns.get(s.dest);
  recorded.thinking = v('thinking');
  recorded.compat = v('compat');
  const result = bench.resultJson(run, {}, { backend: v('backend'), numPrompts: v('num_prompts'), tokenizerId: skipTok ? null : (v<string | null>('tokenizer') ?? run.model), metadata, detailed: v('save_detailed'), recorded });
  if (json) process.stdout.write(`${bench.resultFileText(redactDeep(result, [cfg.apiKey]))}\n`);
  else process.stdout.write(`${cfg.mode === 'sglang' ? bench.sglangPrintout(run) : bench.vllmPrintout(run, { skipTokenizerInit: skipTok })}\n`);
  if (run.metrics.cancelled && !json) process.stderr.write(`${run.metrics.cancelled} cancelled (in flight or not sent; not counted as failed)\n`);
  if (run.server.simulated && !json) process.stderr.write('note: the endpoint is the DeepSeek Deploy simulator, not a GPU engine\n');
  const save = v<boolean>('save_result') || v<boolean>('append_result');
  if (save || v<boolean>('plot_timeline')) {
    const fallback = bench.defaultResultFilename(run, v('backend'));
    // Inside --result-dir (or the current folder) unless an absolute path is given; names made safe; no symlinks followed.
    const file = resolveResultPath(v<string | null>('result_dir') ?? '.', v<string | null>('result_filename') ?? undefined, fallback);
    if (v<boolean>('plot_timeline')) {
      const t = v<string>('timeline_itl_thresholds').split(',').map((x) => Number(x.trim()) / 1000) as [number, number];
      const html = `${file.replace(/\.[^./]*$/, '')}.timeline.html`;
      fs.mkdirSync(path.dirname(html), { recursive: true });
      writeFileNoFollow(html, redactText(timelineHtml(run.traces, t, `${run.model} · ${cfg.label ?? v('backend')} · ${run.traces.length} requests`), [cfg.apiKey]));
      process.stderr.write(`saved ${html}\n`);
    }
    if (save) {
      const saved = saveResultFile(file, result, [cfg.apiKey], fallback, { format: (r) => bench.resultFileText(r as Record<string, unknown>), append: v<boolean>('append_result') });
      process.stderr.write(`saved ${saved}\n`);
    }
  }
  return run.metrics.completed > 0 ? 0 : 1;
}
