import { findModel, MODEL_CATALOG, parseGpuSpec, startupDeadlineMs, type Quant } from '../core/plan/catalog';
import { planMemoryFit, type FitInput } from '../core/plan/memoryFit';
import { reportedForPlan } from '../core/plan/engineReports';
import type { KvDtype } from '../core/plan/kvLayout';
import { parseArgs } from './cliArgs';

export const PLAN_HELP = `usage: deepseek-deploy plan --model M --gpus 8xH200-141GB [--engine vllm|sglang] [--quant Q] [--max-model-len N]
                           [--kv-cache-dtype auto|fp8|bf16] [--mxfp4-indexer] [--tp N] [--dp N] [--pp N] [--ep]
                           [--dp-attention] [--gpu-memory-utilization F] [--json]

Will the model fit, and how many requests of --max-model-len run at once? Weights per GPU, the KV cache of the
model's attention type (MLA, MLA + DSA indexer, V4 CSA/HCA, V4.1) from its layer facts, the engines' "Maximum
concurrency for N tokens per request", host RAM, minimum engine version. For V4 on vLLM it also shows the capacity
as vLLM reports it (more bytes per token than the formula). Figures marked "est." are estimates.
Exit status: 0 fits, 1 does not fit, 2 bad arguments.
GPUs: H100, H200, B200, B300, GB200, GB300, MI300X, MI325X, MI355X, A100, H20 (e.g. 8xH200-141GB, 4xGB300).
Models: ${MODEL_CATALOG.map((m) => m.id).join(', ')}
`;

const GiB = (x: number): string => `${x.toFixed(1)} GiB`;
const n = (x: number): string => x.toLocaleString('en-US');
const QUANTS: readonly Quant[] = ['fp8', 'awq', 'fp4', 'mxfp4', 'fp4-fp8', 'bf16'];

export function runPlan(argv: string[]): number {
  const args = parseArgs(argv, { flags: ['--json', '--ep', '--dp-attention', '--mxfp4-indexer'], values: ['--model', '--gpus', '--engine', '--quant', '--max-model-len', '--kv-cache-dtype', '--tp', '--dp', '--pp', '--gpu-memory-utilization'] });
  if ('error' in args) return fail(args.error);
  if (args.help) {
    process.stdout.write(PLAN_HELP);
    return 0;
  }
  const o: Record<string, string | boolean> = {};
  for (const [k, v] of args.values) o[k.slice(2)] = v;
  for (const f of args.flags) o[f.slice(2)] = true;
  if (typeof o.model !== 'string' || typeof o.gpus !== 'string') return fail('--model and --gpus are required');
  let gpus;
  try {
    gpus = parseGpuSpec(o.gpus);
  } catch (e) {
    return fail((e as Error).message);
  }
  const quant = o.quant as Quant | undefined;
  if (quant !== undefined && !QUANTS.includes(quant)) return fail(`--quant must be one of ${QUANTS.join(', ')}, got ${String(quant)}`);
  const named = findModel(o.model);
  if (!named && !quant) return fail(`unknown model ${o.model}; known: ${MODEL_CATALOG.map((m) => m.id).join(', ')}`);
  // --quant picks the checkpoint of the same family and generation (R1 + awq → the AWQ checkpoint).
  const stem = (id: string): string => id.split('/').pop()!.replace(/-(AWQ|FP4|NVFP4(-v2)?|MXFP4|FP8|mxfp4)$/i, '').toLowerCase();
  const model = quant ? MODEL_CATALOG.find((m) => m.quant === quant && stem(m.id) === stem(named?.id ?? o.model as string)) : named;
  if (!model) return fail(`no known ${quant ?? ''} checkpoint for ${o.model}; known: ${MODEL_CATALOG.map((m) => `${m.id} (${m.quant})`).join(', ')}`);
  const engine = (o.engine ?? 'vllm') as string;
  if (engine !== 'vllm' && engine !== 'sglang') return fail(`--engine must be vllm or sglang, got ${engine}`);
  const int = (k: string, d: number): number => (typeof o[k] === 'string' ? Number(o[k]) : d);
  const tp = int('tp', gpus.count);
  const dp = int('dp', 1);
  const pp = int('pp', 1);
  const util = typeof o['gpu-memory-utilization'] === 'string' ? Number(o['gpu-memory-utilization']) : 0.9;
  const kv = (o['kv-cache-dtype'] ?? 'auto') as KvDtype;
  if (!['auto', 'fp8', 'bf16'].includes(kv)) return fail(`--kv-cache-dtype must be auto, fp8 or bf16, got ${kv}`);
  for (const [k, v] of Object.entries({ tp, dp, pp })) if (!Number.isInteger(v) || v < 1) return fail(`--${k} must be a positive integer`);
  if (!(util > 0 && util <= 1)) return fail('--gpu-memory-utilization must be in (0, 1]');
  const maxModelLen = typeof o['max-model-len'] === 'string' ? Number(o['max-model-len']) : undefined;
  if (maxModelLen !== undefined && !(Number.isInteger(maxModelLen) && maxModelLen > 0)) return fail('--max-model-len must be a positive integer');
  const input: FitInput = { model, gpus, tp, dp, pp, expertParallel: o.ep === true, dpAttention: o['dp-attention'] === true || (engine === 'vllm' && dp > 1), gpuMemoryUtilization: util, kvCacheDtype: kv, maxModelLen, flavor: engine, mxfp4Indexer: o['mxfp4-indexer'] === true };
  const fit = planMemoryFit(input);
  const reported = reportedForPlan(input, fit);
  const minVersion = engine === 'vllm' ? model.minVersion.vllm : model.minVersion.sglang;
  const hwNote = model.requires && !model.requires.includes(gpus.model.arch) ? `${model.quant.toUpperCase()} checkpoint needs ${model.requires.join(' or ')} GPUs, not ${gpus.model.id}` : undefined;
  if (o.json === true) {
    process.stdout.write(`${JSON.stringify({
      model: model.id, family: model.family, quant: model.quant, weightsGB: model.weightsGB, weightsEstimate: model.weightsEstimate,
      gpus: `${gpus.count}x${gpus.model.id}`, engine, tp, dp, pp, gpuMemoryUtilization: util, kvCacheDtype: kv, ...fit,
      engineReported: reported ? { engine: reported.engine, effectiveBytesPerToken: reported.effectiveBytesPerToken, maxConcurrency: reported.maxConcurrency, basis: reported.basis, source: reported.report.source } : undefined,
      minEngineVersion: minVersion, startupDeadlineMs: startupDeadlineMs(model.id), hardware: hwNote,
    }, null, 2)}\n`);
  } else {
    const w = process.stdout.write.bind(process.stdout);
    const est = (b: boolean): string => (b ? ' (est.)' : '');
    w(`${model.id} (${model.family}, ${model.totalParamsB}B/${model.activeParamsB}B active, ${model.quant}, ${model.weightsGB} GB${est(model.weightsEstimate)}) on ${gpus.count}× ${gpus.model.id}${est(gpus.model.memoryEstimate ?? false)}\n`);
    w(`  layout            ${engine} ${engine === 'sglang' ? `TP ${tp}${dp > 1 ? ` DP ${dp}` : ''}` : `TP ${tp} × DP ${dp}`} × PP ${pp}${input.expertParallel ? ' + EP' : ''}${fit.attentionGroups > 1 ? `, ${fit.attentionGroups} attention-DP ranks` : ''}, gpu-memory-utilization ${util}\n`);
    w(`  weights per GPU   ${GiB(fit.weightsGiBPerGpu)} of ${GiB(fit.usableGiBPerGpu)} usable\n`);
    w(`  attention         ${fit.attention}: ${fit.kvFormula}\n`);
    w(`  KV per token      ${n(Math.round(fit.kvBytesPerToken))} bytes${est(fit.kvEstimate)}${fit.kvFixedBytesPerRequest ? ` + ${(fit.kvFixedBytesPerRequest / 1e6).toFixed(1)} MB fixed per request${est(true)}` : ''}\n`);
    w(`  KV cache per GPU  ${GiB(fit.kvGiBPerGpu)}; TP ranks replicate it (one KV head)\n`);
    w(`  KV capacity       ${n(fit.kvTokenCapacity)} tokens\n`);
    w(`  Maximum concurrency for ${n(fit.maxModelLen)} tokens per request: ${fit.maxConcurrency.toFixed(2)}x (formula${fit.kvEstimate ? ', est.' : ''})\n`);
    if (reported) w(`  as ${reported.engine} reports: ${reported.maxConcurrency.toFixed(2)}x (${n(Math.round(reported.effectiveBytesPerToken))} effective bytes/token; ${reported.basis}; ${reported.report.source})\n`);
    w(`  longest context   ${n(fit.largestMaxModelLen)} tokens\n`);
    if (fit.hostRamGiBPerWorker) w(`  host RAM          ${fit.hostRamGiBPerWorker} GiB per worker\n`);
    w(`  engine            ${engine} ≥ ${minVersion ?? '(no documented minimum)'}; start-up deadline ${Math.round(startupDeadlineMs(model.id) / 60000)} min\n`);
    if (hwNote) w(`  hardware          ${hwNote}\n`);
    w(fit.fits ? '  verdict           FITS\n' : `  verdict           DOES NOT FIT (${fit.reason === 'weights' ? 'weights exceed GPU memory' : fit.reason === 'gpus' ? 'not enough GPUs' : 'KV cache too small for max-model-len'})\n`);
    for (const s of fit.suggestions) w(`  try               ${s}\n`);
  }
  return fit.fits ? 0 : 1;
}

function fail(msg: string): number {
  process.stderr.write(`deepseek-deploy plan: ${msg}\n\n${PLAN_HELP}`);
  return 2;
}
