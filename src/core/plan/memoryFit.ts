import type { GpuSpec, ModelVariant } from './catalog';

/** MLA caches one compressed latent (512) + RoPE key (64) per layer and token: 576 × 61 elements, K and V shared. */
export const MLA_KV_ELEMENTS_PER_TOKEN = 576 * 61;
/** Activations, CUDA graphs, NCCL buffers and the sampler take roughly this much per GPU beyond weights and KV. */
export const OVERHEAD_GIB_PER_GPU = 5;
const GiB = 1024 ** 3;

export interface FitInput {
  readonly model: ModelVariant;
  readonly gpus: GpuSpec;
  readonly tp: number;
  readonly dp: number;
  readonly pp: number;
  readonly expertParallel: boolean;
  /** SGLang --enable-dp-attention, or vLLM DP: each attention rank keeps its own sequences' KV. */
  readonly dpAttention: boolean;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: 'auto' | 'fp8';
  readonly maxModelLen?: number;
}

export interface FitResult {
  readonly fits: boolean;
  readonly weightsGiBPerGpu: number;
  readonly usableGiBPerGpu: number;
  readonly kvGiBPerGpu: number;
  readonly kvBytesPerToken: number;
  /** Tokens one engine replica (one TP group) can hold. */
  readonly kvTokenCapacity: number;
  readonly maxModelLen: number;
  /** Longest context the KV cache can hold for a single request. */
  readonly largestMaxModelLen: number;
  readonly maxConcurrency: number;
  readonly reason?: 'weights' | 'kv' | 'gpus';
  readonly suggestions: string[];
}

export function planMemoryFit(i: FitInput): FitResult {
  const used = i.tp * i.dp * i.pp;
  const kvBytesPerToken = MLA_KV_ELEMENTS_PER_TOKEN * (i.kvCacheDtype === 'fp8' ? 1 : 2);
  const usableGiBPerGpu = (i.gpus.model.memoryMiB / 1024) * i.gpuMemoryUtilization;
  const weightsGiB = (i.model.weightsGB * 1e9) / GiB;
  // Without EP every DP replica holds a whole copy sharded over its TP×PP ranks; with EP the experts spread over
  // all ranks and only the dense part is replicated per DP rank.
  const weightsGiBPerGpu = i.expertParallel
    ? (weightsGiB * (1 - i.model.denseFraction)) / used + (weightsGiB * i.model.denseFraction) / (i.tp * i.pp)
    : weightsGiB / (i.tp * i.pp);
  const kvGiBPerGpu = usableGiBPerGpu - weightsGiBPerGpu - OVERHEAD_GIB_PER_GPU;
  // MLA's latent cannot be split by head, so without DP-attention every TP rank stores every token of its sequences.
  const perRankTokens = Math.max(0, Math.floor((kvGiBPerGpu * GiB) / kvBytesPerToken));
  const kvTokenCapacity = i.dpAttention ? perRankTokens * i.tp : perRankTokens;
  const maxModelLen = i.maxModelLen ?? i.model.maxPositionEmbeddings;
  const largestMaxModelLen = Math.min(i.model.maxPositionEmbeddings, i.dpAttention ? perRankTokens : kvTokenCapacity);
  const suggestions: string[] = [];
  let reason: FitResult['reason'];
  if (used > i.gpus.count) {
    reason = 'gpus';
    suggestions.push(`the layout needs ${used} GPUs (TP ${i.tp} × DP ${i.dp} × PP ${i.pp}) but ${i.gpus.count} are available`);
  } else if (kvGiBPerGpu <= 0) {
    reason = 'weights';
    suggestions.push(`weights need ${weightsGiBPerGpu.toFixed(1)} GiB per GPU of ${usableGiBPerGpu.toFixed(1)} GiB usable: use more GPUs (pipeline or nodes) or a smaller quantisation (AWQ/FP4)`);
  } else if (largestMaxModelLen < maxModelLen) {
    reason = 'kv';
    suggestions.push(`--max-model-len ${largestMaxModelLen}`);
    if (i.kvCacheDtype !== 'fp8') suggestions.push('--kv-cache-dtype fp8 (halves KV bytes per token)');
    if (i.gpuMemoryUtilization < 0.95) suggestions.push('--gpu-memory-utilization 0.95');
  }
  return {
    fits: reason === undefined,
    weightsGiBPerGpu,
    usableGiBPerGpu,
    kvGiBPerGpu: Math.max(0, kvGiBPerGpu),
    kvBytesPerToken,
    kvTokenCapacity,
    maxModelLen,
    largestMaxModelLen: Math.max(0, largestMaxModelLen),
    maxConcurrency: maxModelLen > 0 ? kvTokenCapacity / maxModelLen : 0,
    reason,
    suggestions,
  };
}
