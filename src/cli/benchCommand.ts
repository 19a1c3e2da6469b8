import * as fs from 'node:fs';
import type { BenchConfig } from '../core/bench/runBenchmark';
import type { Goodput, MetricName } from '../core/bench/metrics';
import { parseArgs } from './cliArgs';
import { promptsFromFile } from '../core/bench/workload';
import { STREAM_FLAGS, STREAM_HELP, streamLimitsFromArgs } from './streamFlags';
import { resolveResultPath, saveResultFile } from '../core/bench/resultFiles';
import { checkBaseUrl, redactDeep, redactText } from '../core/security/redact';

type BenchApi = typeof import('../core/bench/benchApi');

export const BENCH_HELP = `usage: deepseek-deploy bench [vllm bench serve options] [--json] [--sglang-metrics]

Serving benchmark of any OpenAI-compatible endpoint, with \`vllm bench serve\`'s flag names, defaults and metric
definitions; prints vLLM's "Serving Benchmark Result" block.

  --base-url URL | --host H --port P   server (default http://127.0.0.1:8000)
  --endpoint PATH                       default /v1/completions (openai) or /v1/chat/completions (openai-chat)
  --backend openai|openai-chat          openai: token-id prompts of exact length; openai-chat: text calibrated with /tokenize
  --model M                             default: the first model of /v1/models
  --dataset-name random                 (random is the only generated dataset; --dataset-path FILE for a JSON/JSONL prompt file)
  --random-input-len N (1024) --random-output-len N (128) --random-range-ratio R (0.0) --random-prefix-len N (0)
  --num-prompts N (1000) --max-concurrency N --request-rate R (inf) --burstiness B (1.0) --seed S (0)
  --num-warmups N (0) --ignore-eos --temperature T
  --percentile-metrics ttft,tpot,itl[,e2el]  --metric-percentiles 99[,50,…]  --goodput ttft:500 tpot:50 e2el:…
  --save-result [--result-dir DIR] [--result-filename F] [--save-detailed] [--label L]
  --thinking off|on|high|max            the model's thinking mode, sent with every chat request and recorded in the result
  --api-key-env VAR                     Bearer token from this environment variable (default OPENAI_API_KEY if set)
  --sglang-metrics                      SGLang bench_serving's definitions and printout instead of vLLM's
  --json                                print the result object (vLLM's JSON keys + deepseek_deploy metadata)
${STREAM_HELP}Exit status: 0 ok (even with failed requests, which are counted), 1 no request succeeded, 2 bad arguments.
`;

/** The thinking modes the bench offers (thinkingControl's levels that every hybrid family spells the same way). */
const THINKING = ['off', 'on', 'high', 'max'] as const;

function num(v: string | undefined, flag: string, def: number, check: (n: number) => boolean = () => true): number {
  if (v === undefined) return def;
  const n = v === 'inf' ? Infinity : Number(v);
  if (Number.isNaN(n) || !check(n)) throw new Error(`${flag}: invalid value ${v}`);
  return n;
}

export function parseGoodput(items: readonly string[]): Goodput | undefined {
  if (!items.length) return undefined;
  const g: Goodput = {};
  for (const it of items.flatMap((x) => x.split(/\s+/)).filter(Boolean)) {
    const [k, v] = it.split(':');
    if (k !== 'ttft' && k !== 'tpot' && k !== 'e2el') throw new Error(`--goodput: invalid metric ${k} (ttft, tpot or e2el)`);
    const n = Number(v);
    if (!(n >= 0)) throw new Error(`--goodput: ${k} needs a number of ms, got ${v}`);
    g[k] = n;
  }
  return g;
}

/** vLLM's --goodput takes several values (argparse nargs="+"): `--goodput ttft:500 tpot:50` → one option per value. */
function expandGoodput(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i]);
    if (argv[i] !== '--goodput') continue;
    out.push(argv[++i] ?? '');
    while (i + 1 < argv.length && /^(ttft|tpot|e2el):/.test(argv[i + 1])) out.push('--goodput', argv[++i]);
  }
  return out;
}

export async function runBenchCli(argv: string[], loadBench: () => BenchApi): Promise<number> {
  const a = parseArgs(expandGoodput(argv), {
    flags: ['--json', '--ignore-eos', '--save-result', '--save-detailed', '--sglang-metrics'],
    values: ['--base-url', '--host', '--port', '--endpoint', '--backend', '--model', '--dataset-name', '--dataset-path', '--random-input-len', '--random-output-len', '--random-range-ratio', '--random-prefix-len', '--num-prompts', '--max-concurrency', '--request-rate', '--burstiness', '--seed', '--num-warmups', '--temperature', '--percentile-metrics', '--metric-percentiles', '--result-dir', '--result-filename', '--label', '--api-key-env', '--thinking', ...STREAM_FLAGS],
    repeatable: ['--goodput'],
    positionals: 0,
  });
  if ('error' in a) {
    process.stderr.write(`deepseek-deploy bench: ${a.error}\n\n${BENCH_HELP}`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const v = (k: string): string | undefined => a.values.get(k);
  let cfg: BenchConfig;
  try {
    const backend = v('--backend') ?? 'openai';
    if (backend !== 'openai' && backend !== 'openai-chat' && backend !== 'vllm') throw new Error(`--backend: ${backend} is not supported (openai, openai-chat)`);
    const dataset = v('--dataset-name') ?? 'random';
    if (dataset !== 'random' && !v('--dataset-path')) throw new Error(`--dataset-name ${dataset}: only "random" is generated here; give a JSON/JSONL prompt file with --dataset-path`);
    const baseUrl = v('--base-url') ?? `http://${v('--host') ?? '127.0.0.1'}:${v('--port') ?? '8000'}`;
    const metrics = (v('--percentile-metrics') ?? 'ttft,tpot,itl').split(',').map((s) => s.trim());
    for (const m of metrics) if (!['ttft', 'tpot', 'itl', 'e2el'].includes(m)) throw new Error(`--percentile-metrics: unknown metric ${m}`);
    const ps = (v('--metric-percentiles') ?? '99').split(',').map((s) => num(s.trim(), '--metric-percentiles', 99, (n) => n > 0 && n < 100));
    const keyEnv = v('--api-key-env') ?? (process.env.OPENAI_API_KEY ? 'OPENAI_API_KEY' : undefined);
    const sglang = a.flags.has('--sglang-metrics');
    const thinking = v('--thinking');
    if (thinking !== undefined && !THINKING.includes(thinking as (typeof THINKING)[number])) throw new Error(`--thinking: ${thinking} is not one of ${THINKING.join(', ')}`);
    cfg = {
      baseUrl,
      backend: backend === 'openai-chat' ? 'openai-chat' : 'openai',
      endpoint: v('--endpoint'),
      model: v('--model'),
      apiKey: keyEnv ? process.env[keyEnv] : undefined,
      random: {
        numPrompts: num(v('--num-prompts'), '--num-prompts', 1000, (n) => Number.isInteger(n) && n >= 1),
        inputLen: num(v('--random-input-len'), '--random-input-len', 1024, (n) => Number.isInteger(n) && n >= 1),
        outputLen: num(v('--random-output-len'), '--random-output-len', 128, (n) => Number.isInteger(n) && n >= 1),
        rangeRatio: num(v('--random-range-ratio'), '--random-range-ratio', 0, (n) => n >= 0 && n < 1),
        prefixLen: num(v('--random-prefix-len'), '--random-prefix-len', 0, (n) => Number.isInteger(n) && n >= 0),
        seed: num(v('--seed'), '--seed', 0, Number.isInteger),
      },
      requestRate: num(v('--request-rate'), '--request-rate', Infinity, (n) => n > 0),
      burstiness: num(v('--burstiness'), '--burstiness', 1, (n) => n > 0),
      maxConcurrency: v('--max-concurrency') === undefined ? undefined : num(v('--max-concurrency'), '--max-concurrency', 1, (n) => Number.isInteger(n) && n >= 1),
      numWarmups: num(v('--num-warmups'), '--num-warmups', 0, (n) => Number.isInteger(n) && n >= 0),
      // vLLM forces ignore_eos for the random dataset (PR #28227) so every request runs to its requested length.
      ignoreEos: a.flags.has('--ignore-eos') || dataset === 'random',
      temperature: v('--temperature') === undefined ? undefined : num(v('--temperature'), '--temperature', 0, (n) => n >= 0),
      percentileMetrics: metrics as MetricName[],
      metricPercentiles: sglang ? [90, 95, 99] : ps,
      goodput: parseGoodput(a.lists.get('--goodput') ?? []),
      mode: sglang ? 'sglang' : 'vllm',
      label: v('--label'),
      limits: streamLimitsFromArgs(v),
      thinking: thinking as (typeof THINKING)[number] | undefined,
    };
    if (keyEnv && !cfg.apiKey) throw new Error(`$${keyEnv} is empty`);
    if (v('--dataset-path')) {
      const items = promptsFromFile(fs.readFileSync(v('--dataset-path')!, 'utf8'), cfg.random.outputLen);
      cfg = { ...cfg, backend: 'openai-chat', requests: items.slice(0, cfg.random.numPrompts).map((x) => ({ prompt: x.prompt, promptLen: 0, outputLen: x.outputLen })), ignoreEos: a.flags.has('--ignore-eos') };
    }
  } catch (e) {
    process.stderr.write(`deepseek-deploy bench: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    // Checked before the run, so a bad name never costs a benchmark.
    if (v('--result-filename') !== undefined) resolveResultPath(v('--result-dir') ?? '.', v('--result-filename'), 'x.json');
    checkBaseUrl(cfg.baseUrl);
  } catch (e) {
    process.stderr.write(`deepseek-deploy bench: ${(e as Error).message}\n`);
    return 2;
  }
  const bench = loadBench();
  const json = a.flags.has('--json');
  const ac = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling: finished requests are kept\n');
    ac.abort();
  });
  let run;
  try {
    run = await bench.runBenchmark(cfg, {
      signal: ac.signal,
      log: (l) => process.stderr.write(`${l}\n`),
      onProgress: process.stderr.isTTY && !json ? (p) => process.stderr.write(`\r${p.completed + p.failed}/${p.total} done · ${p.reqPerS.toFixed(2)} req/s · ${p.outTokPerS.toFixed(0)} tok/s   `) : undefined,
    });
  } catch (e) {
    process.stderr.write(`deepseek-deploy bench: ${(e as Error).message}\n`);
    return 1;
  }
  if (process.stderr.isTTY && !json) process.stderr.write('\n');
  const result = bench.resultJson(run, {}, a.flags.has('--save-detailed'));
  if (json) process.stdout.write(`${JSON.stringify(redactDeep(result, [cfg.apiKey]), null, 2)}\n`);
  else process.stdout.write(`${cfg.mode === 'sglang' ? bench.sglangPrintout(run) : bench.vllmPrintout(run)}\n`);
  if (run.metrics.failed && !json) for (const [e, n] of Object.entries(run.metrics.errors)) process.stderr.write(`${n} failed: ${redactText(e, [cfg.apiKey])}\n`);
  if (run.metrics.cancelled && !json) process.stderr.write(`${run.metrics.cancelled} cancelled (in flight or not sent; not counted as failed)\n`);
  if (run.server.simulated && !json) process.stderr.write('note: the endpoint is the DeepSeek Deploy simulator, not a GPU engine\n');
  if (a.flags.has('--save-result') || v('--result-filename')) {
    const fallback = bench.defaultResultFilename(run);
    const file = resolveResultPath(v('--result-dir') ?? '.', v('--result-filename'), fallback);
    process.stderr.write(`saved ${saveResultFile(file, result, [cfg.apiKey], fallback)}\n`);
  }
  return run.metrics.completed > 0 ? 0 : 1;
}
