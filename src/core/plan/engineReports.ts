import { parseGpuSpec, type ModelVariant } from './catalog';
import { planMemoryFit, type FitInput, type FitResult } from './memoryFit';

/**
 * What engines actually logged for DeepSeek KV capacity (reference §2.3), kept apart from the layer formula so a plan
 * can show both: "formula: N×" and "as vLLM x.y reports: M×". Each row is one public observation.
 */
export interface EngineKvReport {
  readonly id: string;
  readonly engine: 'vllm' | 'sglang';
  readonly version: string;
  /** Catalog ids the observation applies to. */
  readonly models: readonly string[];
  readonly setup: string;
  /** Pool and reported tokens ("Available KV cache memory" / "GPU KV cache size"), when logged. */
  readonly poolGiB?: number;
  readonly reportedTokens?: number;
  readonly maxModelLen: number;
  /** "Maximum concurrency for <maxModelLen> tokens per request", per layout when several were logged. */
  readonly concurrency?: Readonly<Record<string, number>>;
  readonly source: string;
}

export const ENGINE_KV_REPORTS: readonly EngineKvReport[] = [
  {
    id: 'vllm-0.26-v4flash-h20-tp2', engine: 'vllm', version: '0.26.0', models: ['deepseek-ai/DeepSeek-V4-Flash', 'nvidia/DeepSeek-V4-Flash-NVFP4'],
    setup: 'V4-Flash preview, 2×H20 TP2, fp8, block 256', poolGiB: 7.01, reportedTokens: 1_009_661, maxModelLen: 912_128, concurrency: { tp2: 1.11 },
    source: 'github.com/vllm-project/vllm/issues/51041',
  },
  {
    id: 'vllm-0.26-v4flash0731-h20-tp2', engine: 'vllm', version: '0.26.0', models: [],
    setup: 'V4-Flash-0731, 2×H20 TP2 (open issue: ~8× worse than preview)', poolGiB: 7.71, reportedTokens: 150_992, maxModelLen: 121_344,
    source: 'github.com/vllm-project/vllm/issues/51041',
  },
  {
    id: 'vllm-0.25-v4flash0731-b200x8', engine: 'vllm', version: '0.25.0', models: ['deepseek-ai/DeepSeek-V4-Flash-0731', 'deepseek-ai/DeepSeek-V4-Flash-DSpark'],
    setup: 'V4-Flash-0731, 8×B200, fp8, block 256, max-model-len 1M', maxModelLen: 1_048_576, concurrency: { tp8ep: 20.43, dp8ep: 156.9 },
    source: 'github.com/vllm-project/recipes/issues/762, github.com/vllm-project/vllm/issues/51454',
  },
  {
    id: 'sglang-v32exp-b200x8-dp8', engine: 'sglang', version: 'PR #11309', models: ['deepseek-ai/DeepSeek-V3.2-Exp'],
    setup: 'V3.2-Exp, 8×B200 DP8: "KV Cache is allocated. #tokens: 975424, KV size: 43.67 GB"', poolGiB: 43.67, reportedTokens: 975_424, maxModelLen: 163_840,
    source: 'github.com/sgl-project/sglang/pull/11309',
  },
];

/** Effective bytes per token a report implies: pool ÷ reported tokens (both as the engine logged them). */
export function effectiveBytesPerToken(r: EngineKvReport): number | undefined {
  return r.poolGiB !== undefined && r.reportedTokens ? (r.poolGiB * 1024 ** 3) / r.reportedTokens : undefined;
}

export interface ReportedCapacity {
  readonly engine: string;
  readonly report: EngineKvReport;
  /** Bytes per token of context as the engine effectively charges them at this max-model-len. */
  readonly effectiveBytesPerToken: number;
  readonly maxConcurrency: number;
  readonly basis: string;
}

/**
 * Capacity "as vLLM reports" for a V4 plan: the engine charges more than the layer formula (reference §2.3/§9).
 * - preview checkpoints: the effective bytes per token vLLM 0.26.0 logged (pool ÷ tokens, VI-51041);
 * - DSpark checkpoints: the per-token cost implied by vLLM 0.25.0's 20.43× on 8×B200 TP8 (VR-I762), backed out with
 *   `calibrationPoolBytes` (this planner's pool for that layout), since the issue gives no pool size.
 * Undefined when no report covers the model.
 */
export function vllmReportedCapacity(model: ModelVariant, poolBytesPerRank: number, attentionGroups: number, maxModelLen: number, calibrationPoolBytes: () => number): ReportedCapacity | undefined {
  const r = ENGINE_KV_REPORTS.find((x) => x.engine === 'vllm' && x.models.includes(model.id));
  if (!r) return undefined;
  let eff = effectiveBytesPerToken(r);
  let basis = `pool ÷ "GPU KV cache size" as logged (${r.poolGiB} GiB / ${r.reportedTokens?.toLocaleString('en-US')} tokens at max-model-len ${r.maxModelLen.toLocaleString('en-US')})`;
  if (eff === undefined) {
    const tp8 = r.concurrency!.tp8ep;
    eff = calibrationPoolBytes() / (tp8 * r.maxModelLen);
    basis = `${tp8}× at ${r.maxModelLen.toLocaleString('en-US')} tokens on 8×B200 TP8 with this planner's pool for that layout`;
  }
  return { engine: `vLLM ${r.version}`, report: r, effectiveBytesPerToken: eff, maxConcurrency: (attentionGroups * poolBytesPerRank) / (eff * maxModelLen), basis };
}

/**
 * The "as vLLM reports" figure for a finished plan (V4 on vLLM only; undefined otherwise). The DSpark calibration
 * pool is this planner's KV pool for the reported layout: 8×B200, TP8 + EP, gpu-memory-utilization 0.9.
 */
export function reportedForPlan(input: FitInput, fit: FitResult): ReportedCapacity | undefined {
  if ((input.flavor ?? 'vllm') !== 'vllm' || fit.attention !== 'v4-csa-hca') return undefined;
  const calibration = (): number => {
    const b200 = planMemoryFit({ model: input.model, gpus: parseGpuSpec('8xB200'), tp: 8, dp: 1, pp: 1, expertParallel: true, dpAttention: false, gpuMemoryUtilization: 0.9, kvCacheDtype: 'auto', maxModelLen: 1_048_576 });
    return b200.kvGiBPerGpu * 1024 ** 3;
  };
  return vllmReportedCapacity(input.model, fit.kvGiBPerGpu * 1024 ** 3 * input.pp, fit.attentionGroups, fit.maxModelLen, calibration);
}
