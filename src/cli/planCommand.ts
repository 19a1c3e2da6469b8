import { findModel, MODEL_CATALOG, parseGpuSpec, type Quant } from '../core/plan/catalog';
import { planMemoryFit } from '../core/plan/memoryFit';
import { parseArgs } from './cliArgs';

export const PLAN_HELP = `usage: deepseek-deploy plan --model M --gpus 8xH100-80GB [--quant fp8|awq|fp4] [--max-model-len N]
                           [--kv-cache-dtype auto|fp8] [--tp N] [--dp N] [--pp N] [--ep] [--dp-attention]
                           [--gpu-memory-utilization F] [--json]

Will the model fit? Weights per GPU, MLA KV cache (576 × 61 elements per token, shared K/V), overhead, and the
longest context the KV cache can hold. Exit status: 0 fits, 1 does not fit, 2 bad arguments.
Models: ${MODEL_CATALOG.map((m) => m.id).join(', ')}
`;

const GiB = (x: number): string => `${x.toFixed(1)} GiB`;

export function runPlan(argv: string[]): number {
  const args = parseArgs(argv, { flags: ['--json', '--ep', '--dp-attention'], values: ['--model', '--gpus', '--quant', '--max-model-len', '--kv-cache-dtype', '--tp', '--dp', '--pp', '--gpu-memory-utilization'] });
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
  if (quant !== undefined && !['fp8', 'awq', 'fp4'].includes(quant)) return fail(`--quant must be fp8, awq or fp4, got ${String(quant)}`);
  const named = findModel(o.model);
  // --quant picks the matching variant of the same family (R1 + awq → the AWQ checkpoint).
  const family = (named?.id ?? o.model).split('/').pop()!.replace(/-(AWQ|FP4)$/i, '');
  const model = quant ? MODEL_CATALOG.find((m) => m.quant === quant && m.id.split('/').pop()!.replace(/-(AWQ|FP4)$/i, '') === family) : named;
  if (!model) return fail(`no known ${quant ?? ''} checkpoint for ${o.model}; known: ${MODEL_CATALOG.map((m) => `${m.id} (${m.quant})`).join(', ')}`);
  const int = (k: string, d: number): number => (typeof o[k] === 'string' ? Number(o[k]) : d);
  const tp = int('tp', gpus.count);
  const dp = int('dp', 1);
  const pp = int('pp', 1);
  const util = typeof o['gpu-memory-utilization'] === 'string' ? Number(o['gpu-memory-utilization']) : 0.9;
  const kv = (o['kv-cache-dtype'] ?? 'auto') as string;
  if (kv !== 'auto' && kv !== 'fp8') return fail(`--kv-cache-dtype must be auto or fp8, got ${kv}`);
  for (const [k, v] of Object.entries({ tp, dp, pp })) if (!Number.isInteger(v) || v < 1) return fail(`--${k} must be a positive integer`);
  if (!(util > 0 && util <= 1)) return fail('--gpu-memory-utilization must be in (0, 1]');
  const maxModelLen = typeof o['max-model-len'] === 'string' ? Number(o['max-model-len']) : undefined;
  if (maxModelLen !== undefined && !(Number.isInteger(maxModelLen) && maxModelLen > 0)) return fail('--max-model-len must be a positive integer');
  const fit = planMemoryFit({ model, gpus, tp, dp, pp, expertParallel: o.ep === true, dpAttention: o['dp-attention'] === true || dp > 1, gpuMemoryUtilization: util, kvCacheDtype: kv, maxModelLen });
  if (o.json === true) {
    process.stdout.write(`${JSON.stringify({ model: model.id, quant: model.quant, gpus: `${gpus.count}x${gpus.model.id}`, tp, dp, pp, gpuMemoryUtilization: util, kvCacheDtype: kv, ...fit }, null, 2)}\n`);
  } else {
    const w = process.stdout.write.bind(process.stdout);
    w(`${model.id} (${model.quant}, ${model.weightsGB} GB) on ${gpus.count}× ${gpus.model.id}, TP ${tp} × DP ${dp} × PP ${pp}, gpu-memory-utilization ${util}\n`);
    w(`  weights per GPU   ${GiB(fit.weightsGiBPerGpu)} of ${GiB(fit.usableGiBPerGpu)} usable\n`);
    w(`  KV cache per GPU  ${GiB(fit.kvGiBPerGpu)} (${fit.kvBytesPerToken} bytes/token, ${kv === 'fp8' ? 'fp8' : 'bf16'})\n`);
    w(`  KV capacity       ${fit.kvTokenCapacity.toLocaleString('en-US')} tokens → ${fit.maxConcurrency.toFixed(2)}× ${fit.maxModelLen.toLocaleString('en-US')}-token requests\n`);
    w(`  longest context   ${fit.largestMaxModelLen.toLocaleString('en-US')} tokens\n`);
    w(fit.fits ? '  verdict           FITS\n' : `  verdict           DOES NOT FIT (${fit.reason === 'weights' ? 'weights exceed GPU memory' : fit.reason === 'gpus' ? 'not enough GPUs' : 'KV cache too small for max-model-len'})\n`);
    for (const s of fit.suggestions) w(`  try               ${s}\n`);
  }
  return fit.fits ? 0 : 1;
}

function fail(msg: string): number {
  process.stderr.write(`deepseek-deploy plan: ${msg}\n\n${PLAN_HELP}`);
  return 2;
}
