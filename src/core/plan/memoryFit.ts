import type { GpuSpec, ModelVariant } from './catalog';
import { kvCost, MLA_V3, sequenceBytes, type AttentionKind, type KvCost, type KvDtype } from './kvLayout';

/** MLA caches one compressed latent (512) + RoPE key (64) per layer and token: 576 × 61 elements, K and V shared. */
export const MLA_KV_ELEMENTS_PER_TOKEN = (MLA_V3.mla!.latent + MLA_V3.mla!.rope) * MLA_V3.layers;
/** Activations, CUDA graphs, NCCL buffers and the sampler take roughly this much per GPU beyond weights and KV. */
export const OVERHEAD_GIB_PER_GPU = 5;
const GiB = 1024 ** 3;

export interface FitInput {
  readonly model: ModelVariant;
  readonly gpus: GpuSpec;
  readonly tp: number;
  /** vLLM: data-parallel replicas (each TP group); SGLang: attention-DP ranks inside the TP group. */
  readonly dp: number;
  readonly pp: number;
  readonly expertParallel: boolean;
  /** SGLang --enable-dp-attention, or vLLM DP: each attention rank keeps its own sequences' KV. */
  readonly dpAttention: boolean;
  readonly gpuMemoryUtilization: number;
  /** auto: the engine default for the attention type (BF16 for MLA, fp8_ds_mla for V3.2, FP8 for V4). */
  readonly kvCacheDtype: KvDtype;
  readonly maxModelLen?: number;
  /** Which engine counts the GPUs: SGLang's --dp splits the TP group, vLLM's multiplies it. Default vllm. */
  readonly flavor?: 'vllm' | 'sglang';
  /** V4: CSA indexer cache in MXFP4 (vLLM indexer_kv_dtype=mxfp4, SM100 only). */
  readonly mxfp4Indexer?: boolean;
}

export interface FitResult {
  readonly fits: boolean;
  readonly attention: AttentionKind;
  readonly weightsGiBPerGpu: number;
  readonly usableGiBPerGpu: number;
  readonly kvGiBPerGpu: number;
  /** Bytes each token of context adds on one rank (may be fractional for V4). */
  readonly kvBytesPerToken: number;
  /** Bytes every request costs whatever its length (V4 window + compressor state); 0 for MLA/DSA. */
  readonly kvFixedBytesPerRequest: number;
  readonly kvFormula: string;
  /** The KV figures are the reference's estimates (V4/V4.1), not validated engine numbers. */
  readonly kvEstimate: boolean;
  /** vLLM's "GPU KV cache size: N tokens": max concurrency × max-model-len over all attention ranks (VI-51041). */
  readonly kvTokenCapacity: number;
  readonly maxModelLen: number;
  /** Longest context the KV cache can hold for a single request. */
  readonly largestMaxModelLen: number;
  /** vLLM's "Maximum concurrency for <max-model-len> tokens per request" over the whole deployment. */
  readonly maxConcurrency: number;
  /** Independent attention groups: 1 under pure TP (KV replicated on every TP rank), N under DP attention. */
  readonly attentionGroups: number;
  /** Host RAM each worker needs, GiB (V4.1: 512 GiB), when a source states one. */
  readonly hostRamGiBPerWorker?: number;
  readonly reason?: 'weights' | 'kv' | 'gpus';
  readonly suggestions: string[];
}

/**
 * Will `model` fit the layout, and how many requests of max-model-len can run at once? Weights per GPU (dense part
 * replicated per DP rank under EP), KV pool per GPU = usable − weights − overhead, then capacity from the attention
 * type's layer facts (kvLayout.ts). Every model here has one latent / KV head, so TP ranks replicate the KV and only
 * DP attention multiplies capacity (reference §8.1); pipeline stages split the layers.
 */
export function planMemoryFit(i: FitInput): FitResult {
  const sglang = i.flavor === 'sglang';
  const used = sglang ? i.tp * i.pp : i.tp * i.dp * i.pp;
  const attentionGroups = sglang ? (i.dpAttention ? (i.dp > 1 ? i.dp : i.tp) : 1) : i.dp > 1 ? i.dp : i.dpAttention ? i.tp : 1;
  // Attention (dense) weights are sharded over the TP ranks of one attention group.
  const attnTp = sglang ? Math.max(1, i.tp / attentionGroups) : i.tp;
  const usableGiBPerGpu = (i.gpus.model.memoryMiB / 1024) * i.gpuMemoryUtilization;
  const weightsGiB = (i.model.weightsGB * 1e9) / GiB;
  // Without EP every DP replica holds a whole copy sharded over its TP×PP ranks; with EP the experts spread over
  // all ranks and only the dense part is replicated per attention group.
  const weightsGiBPerGpu = i.expertParallel
    ? (weightsGiB * (1 - i.model.denseFraction)) / used + (weightsGiB * i.model.denseFraction) / (attnTp * i.pp)
    : sglang && i.dpAttention ? (weightsGiB * (1 - i.model.denseFraction)) / (i.tp * i.pp) + (weightsGiB * i.model.denseFraction) / (attnTp * i.pp) : weightsGiB / (i.tp * i.pp);
  const kvGiBPerGpu = usableGiBPerGpu - weightsGiBPerGpu - OVERHEAD_GIB_PER_GPU;
  const cost: KvCost = kvCost(i.model.kv, { kvDtype: i.kvCacheDtype, mxfp4Indexer: i.mxfp4Indexer });
  const perRankBytes = Math.max(0, kvGiBPerGpu) * GiB;
  const maxModelLen = i.maxModelLen ?? i.model.maxPositionEmbeddings;
  const seq = (tokens: number): number => sequenceBytes(cost, tokens) / i.pp;
  const maxConcurrency = maxModelLen > 0 ? (attentionGroups * perRankBytes) / seq(maxModelLen) : 0;
  const kvTokenCapacity = Math.max(0, Math.floor(maxConcurrency * maxModelLen));
  const singleRequestTokens = Math.max(0, Math.floor((perRankBytes * i.pp - cost.fixedBytesPerRequest) / cost.bytesPerToken));
  const largestMaxModelLen = Math.min(i.model.maxPositionEmbeddings, singleRequestTokens);
  const suggestions: string[] = [];
  let reason: FitResult['reason'];
  if (used > i.gpus.count) {
    reason = 'gpus';
    suggestions.push(`the layout needs ${used} GPUs (${sglang ? `TP ${i.tp} × PP ${i.pp}` : `TP ${i.tp} × DP ${i.dp} × PP ${i.pp}`}) but ${i.gpus.count} are available`);
  } else if (kvGiBPerGpu <= 0) {
    reason = 'weights';
    suggestions.push(`weights need ${weightsGiBPerGpu.toFixed(1)} GiB per GPU of ${usableGiBPerGpu.toFixed(1)} GiB usable: use more GPUs (pipeline or nodes) or a smaller quantisation`);
  } else if (largestMaxModelLen < maxModelLen) {
    reason = 'kv';
    suggestions.push(`--max-model-len ${largestMaxModelLen}`);
    if (i.model.kv.attention === 'mla' && i.kvCacheDtype !== 'fp8') suggestions.push('--kv-cache-dtype fp8 (halves KV bytes per token)');
    if (i.gpuMemoryUtilization < 0.95) suggestions.push('--gpu-memory-utilization 0.95');
  }
  if (reason === undefined && attentionGroups === 1 && used > 1 && i.model.kv.attention !== 'mla') {
    suggestions.push(`DP attention (${sglang ? `--dp ${used} --enable-dp-attention` : `--data-parallel-size ${used} --enable-expert-parallel`}) holds up to ${used}× the KV: TP replicates the single KV head on every rank`);
  }
  return {
    fits: reason === undefined,
    attention: i.model.kv.attention,
    weightsGiBPerGpu,
    usableGiBPerGpu,
    kvGiBPerGpu: Math.max(0, kvGiBPerGpu),
    kvBytesPerToken: cost.bytesPerToken,
    kvFixedBytesPerRequest: cost.fixedBytesPerRequest,
    kvFormula: cost.formula,
    kvEstimate: cost.estimate,
    kvTokenCapacity,
    maxModelLen,
    largestMaxModelLen: Math.max(0, largestMaxModelLen),
    maxConcurrency,
    attentionGroups,
    hostRamGiBPerWorker: i.model.hostRamGiBPerWorker,
    reason,
    suggestions,
  };
}

/**
 * The smallest power-of-two count of `gpu` (1…64) on which the model's weights and one `contextTokens` request fit
 * under TP + EP at gpu-memory-utilization 0.9, for pickers ("V4-Flash · ≥4× H200"). Undefined when 64 do not suffice.
 */
export function minimumGpus(model: ModelVariant, gpu: GpuSpec['model'], contextTokens = 32_768): number | undefined {
  for (let count = 1; count <= 64; count *= 2) {
    const fit = planMemoryFit({ model, gpus: { count, model: gpu }, tp: count, dp: 1, pp: 1, expertParallel: count > 1, dpAttention: false, gpuMemoryUtilization: 0.9, kvCacheDtype: 'auto', maxModelLen: Math.min(contextTokens, model.maxPositionEmbeddings) });
    if (fit.fits) return count;
  }
  return undefined;
}
