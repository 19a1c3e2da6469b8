/** GPUs as deployers name them ("8xH100-80GB"); usable memory is what nvidia-smi reports as memory.total. */
export interface GpuModel { readonly id: string; readonly name: string; readonly memoryMiB: number }

export const GPU_CATALOG: readonly GpuModel[] = [
  { id: 'H100-80GB', name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559 },
  { id: 'H200-141GB', name: 'NVIDIA H200', memoryMiB: 143771 },
  { id: 'B200-180GB', name: 'NVIDIA B200', memoryMiB: 183359 },
  { id: 'A100-80GB', name: 'NVIDIA A100-SXM4-80GB', memoryMiB: 81920 },
  { id: 'H20-96GB', name: 'NVIDIA H20', memoryMiB: 97871 },
];

export type Quant = 'fp8' | 'awq' | 'fp4' | 'bf16';

export interface ModelVariant {
  readonly id: string;
  readonly quant: Quant;
  /** Checkpoint bytes loaded into GPU memory (decimal GB as model cards state them). */
  readonly weightsGB: number;
  /** Share of weights outside the routed experts (attention, dense layers, embeddings): replicated per DP rank. */
  readonly denseFraction: number;
  readonly maxPositionEmbeddings: number;
  readonly shards: number;
  /** R1 (Jan 2025) omits the opening <think>; R1-0528 emits it. */
  readonly emitsOpeningThink: boolean;
  readonly reasoning: boolean;
}

// Non-routed-expert weights (MLA attention, the 3 dense layers, shared experts, embeddings) are roughly 20-25B of the
// 671B parameters; with expert parallelism only these are replicated on every DP rank. An estimate: seed 003 runs
// DP+EP on 8×H200 at the default context, which a larger share would wrongly call a misfit.
const base = { denseFraction: 0.035, maxPositionEmbeddings: 163840 } as const;

// Sizes: FP8 checkpoints are ≈ 671–689 GB (163 safetensors shards); community AWQ ≈ 340 GB; NVIDIA's FP4 card states
// roughly 1.6× smaller than FP8.
export const MODEL_CATALOG: readonly ModelVariant[] = [
  { id: 'deepseek-ai/DeepSeek-R1', quant: 'fp8', weightsGB: 688.6, shards: 163, emitsOpeningThink: false, reasoning: true, ...base },
  { id: 'deepseek-ai/DeepSeek-R1-0528', quant: 'fp8', weightsGB: 688.6, shards: 163, emitsOpeningThink: true, reasoning: true, ...base },
  { id: 'deepseek-ai/DeepSeek-V3', quant: 'fp8', weightsGB: 688.6, shards: 163, emitsOpeningThink: false, reasoning: false, ...base },
  { id: 'cognitivecomputations/DeepSeek-R1-AWQ', quant: 'awq', weightsGB: 340, shards: 74, emitsOpeningThink: false, reasoning: true, ...base },
  { id: 'cognitivecomputations/DeepSeek-V3-AWQ', quant: 'awq', weightsGB: 340, shards: 74, emitsOpeningThink: false, reasoning: false, ...base },
  { id: 'nvidia/DeepSeek-R1-FP4', quant: 'fp4', weightsGB: 425, shards: 80, emitsOpeningThink: false, reasoning: true, ...base },
];

/** Resolves a model id or local path by its last path segment, so /models/DeepSeek-R1 finds the R1 entry. */
export function findModel(idOrPath: string): ModelVariant | undefined {
  const exact = MODEL_CATALOG.find((m) => m.id === idOrPath);
  if (exact) return exact;
  const tail = idOrPath.replace(/\/+$/, '').split('/').pop()?.toLowerCase() ?? '';
  return MODEL_CATALOG.find((m) => m.id.split('/').pop()?.toLowerCase() === tail);
}

export interface GpuSpec { readonly count: number; readonly model: GpuModel }

/** Parses "8xH100-80GB", "8×H200", "4xB200". */
export function parseGpuSpec(spec: string): GpuSpec {
  const m = /^(\d+)\s*[x×]\s*([A-Za-z0-9]+)(?:-(\d+)GB)?$/i.exec(spec.trim());
  if (!m) throw new Error(`invalid GPU spec "${spec}": expected COUNTxMODEL[-MEMGB], e.g. 8xH100-80GB`);
  const family = m[2].toUpperCase();
  const model = GPU_CATALOG.find((g) => g.id.startsWith(`${family}-`) && (!m[3] || g.id.endsWith(`-${m[3]}GB`)));
  if (!model) throw new Error(`unknown GPU "${m[2]}${m[3] ? `-${m[3]}GB` : ''}": known ${GPU_CATALOG.map((g) => g.id).join(', ')}`);
  return { count: Number(m[1]), model };
}
