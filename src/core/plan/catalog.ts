import { DSA_V32, MLA_V3, V41_FLASH, V4_FLASH, V4_PRO, type KvLayout } from './kvLayout';

/**
 * The one table of DeepSeek checkpoints and GPUs the product knows. Facts and source keys ([VR-V4F] …) are from
 * shared/reference/deepseek-family.md (§0 lists every key); numbers marked `estimate` are the reference's own
 * estimates (est. / ⚠ / re-check) and are shown as such wherever the product prints them.
 */

/** GPUs as deployers name them ("8xH100-80GB"); usable memory is what nvidia-smi / rocm-smi report as memory total. */
export interface GpuModel {
  readonly id: string;
  readonly name: string;
  readonly memoryMiB: number;
  readonly vendor: 'nvidia' | 'amd';
  /** Hopper (SM90), Blackwell (SM100), CDNA3 (MI300X/MI325X), CDNA4 (MI355X); recipes pick flags by it. */
  readonly arch: 'ampere' | 'hopper' | 'blackwell' | 'cdna3' | 'cdna4';
  /** True when memoryMiB is derived from the vendor's GB figure rather than a seen smi line. */
  readonly memoryEstimate?: boolean;
}

// Reference §3 (GPU memory used by the recipes): H100 80 GB, H200 141 GB, B200 ~180–192 GB, B300 288 GB, GB200 4×~192 GB
// per tray, GB300 4×288 GB, MI300X 192 GB, MI325X 256 GB, MI355X 288 GB. H100/H200/B200/A100/H20 are nvidia-smi values
// seen on real hosts; the others are the vendor figure less the ~4% nvidia-smi reserves (est.). GB* come before B* so
// that matching a probed name by substring ("NVIDIA GB200" contains "B200") finds the Grace part first.
export const GPU_CATALOG: readonly GpuModel[] = [
  { id: 'H100-80GB', name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, vendor: 'nvidia', arch: 'hopper' },
  { id: 'H200-141GB', name: 'NVIDIA H200', memoryMiB: 143771, vendor: 'nvidia', arch: 'hopper' },
  { id: 'GB200-186GB', name: 'NVIDIA GB200', memoryMiB: 189471, vendor: 'nvidia', arch: 'blackwell', memoryEstimate: true },
  { id: 'GB300-288GB', name: 'NVIDIA GB300', memoryMiB: 284208, vendor: 'nvidia', arch: 'blackwell', memoryEstimate: true },
  { id: 'B200-180GB', name: 'NVIDIA B200', memoryMiB: 183359, vendor: 'nvidia', arch: 'blackwell' },
  { id: 'B300-288GB', name: 'NVIDIA B300 SXM6 AC', memoryMiB: 275040, vendor: 'nvidia', arch: 'blackwell', memoryEstimate: true },
  { id: 'MI300X-192GB', name: 'AMD Instinct MI300X', memoryMiB: 196288, vendor: 'amd', arch: 'cdna3', memoryEstimate: true },
  { id: 'MI325X-256GB', name: 'AMD Instinct MI325X', memoryMiB: 261120, vendor: 'amd', arch: 'cdna3', memoryEstimate: true },
  { id: 'MI355X-288GB', name: 'AMD Instinct MI355X', memoryMiB: 293888, vendor: 'amd', arch: 'cdna4', memoryEstimate: true },
  { id: 'A100-80GB', name: 'NVIDIA A100-SXM4-80GB', memoryMiB: 81920, vendor: 'nvidia', arch: 'ampere' },
  { id: 'H20-96GB', name: 'NVIDIA H20', memoryMiB: 97871, vendor: 'nvidia', arch: 'hopper' },
];

/** fp8: FP8 block-scaled; fp4: NVIDIA NVFP4; mxfp4: AMD/OCP MXFP4; fp4-fp8: V4's own FP4 experts + FP8 rest; awq: int4. */
export type Quant = 'fp8' | 'awq' | 'fp4' | 'mxfp4' | 'fp4-fp8' | 'bf16';

export type Family = 'V3' | 'R1' | 'V3.1' | 'V3.2' | 'V4-Flash' | 'V4-Pro' | 'V4.1-Flash';

/** none: never reasons (V3); always: R1; hybrid: thinking switched per request (V3.1 onwards). */
export type ReasoningKind = 'none' | 'always' | 'hybrid';

/** The raw tool-call text the model emits (reference §5.1). */
export type ToolFormat = 'v3' | 'v31' | 'dsml-v32' | 'dsml-v4' | 'dsml-v41';

export interface EngineParsers {
  readonly reasoning?: string;
  readonly tool?: string;
  /** vLLM --tokenizer-mode (V3.2/V4/V4.1 ship no Jinja template). */
  readonly tokenizerMode?: string;
}

/** What every checkpoint of one family shares. */
export interface FamilyFacts {
  readonly family: Family;
  readonly architecture: string;
  readonly kv: KvLayout;
  readonly totalParamsB: number;
  readonly activeParamsB: number;
  readonly maxPositionEmbeddings: number;
  readonly reasoning: ReasoningKind;
  /** Whether each engine thinks when a request says nothing (reference §4.2 and §8.5). */
  readonly thinkingDefault: { readonly vllm: boolean; readonly sglang: boolean };
  /** V4 / V4.1 reasoning-effort levels, as the request spells them. */
  readonly effortLevels: readonly string[];
  readonly toolFormat: ToolFormat;
  readonly parsers: { readonly vllm: EngineParsers; readonly sglang: EngineParsers };
  /** Recommended sampling (reference §4.4); undefined where no source states one. */
  readonly sampling?: { readonly temperature: number; readonly topP: number; readonly source: string };
  /** Multi-turn: drop earlier reasoning (R1/V3.1), keep it inside one tool loop (V3.2), keep it all when tools are defined (V4). */
  readonly reasoningPassback: 'drop' | 'tool-loop' | 'with-tools';
  /** Minimum engine releases (recipe minimums, reference §3.2). */
  readonly minVersion: { readonly vllm: string; readonly sglang?: string };
  /** Non-KV per-GPU share of weights that DP replicates (attention, dense layers, shared experts, embeddings): est. */
  readonly denseFraction: number;
  /** Host RAM one worker needs, GiB (V4.1: 512 GiB for the pinned host-side tables [DYN-V41]). */
  readonly hostRamGiBPerWorker?: number;
  /** Documented first-start time and launch timeouts, minutes (reference §6 "Start-up time magnitudes"). */
  readonly firstBootMin?: number;
  readonly launchTimeoutMin?: number;
  /** Speculative decoding heads the checkpoint carries. */
  readonly speculative: 'mtp' | 'dspark' | 'none';
}

export interface ModelVariant extends FamilyFacts {
  readonly id: string;
  readonly label: string;
  readonly quant: Quant;
  /** Checkpoint bytes loaded into GPU memory (decimal GB as model cards state them). */
  readonly weightsGB: number;
  /** weightsGB is an estimate (the reference marks it est. / re-check). */
  readonly weightsEstimate: boolean;
  readonly shards: number;
  /** R1 (Jan 2025) omits the opening <think>; R1-0528 emits it. */
  readonly emitsOpeningThink: boolean;
  readonly toolCalls: boolean;
  /** Hardware the checkpoint needs (NVFP4: Blackwell only; MXFP4: AMD CDNA4). */
  readonly requires?: readonly GpuModel['arch'][];
  readonly notes?: string;
  /** The reference's source keys for this row. */
  readonly source: string;
}

// Non-routed-expert weights (MLA attention, the 3 dense layers, shared experts, embeddings) are roughly 20–25B of the
// 671B parameters; with expert parallelism only these are replicated on every DP rank. An estimate: seed 003 runs
// DP+EP on 8×H200 at the default context, which a larger share would wrongly call a misfit.
const V3_BASE = {
  architecture: 'DeepseekV3ForCausalLM', kv: MLA_V3, totalParamsB: 671, activeParamsB: 37, maxPositionEmbeddings: 163840,
  effortLevels: [], denseFraction: 0.035, minVersion: { vllm: '0.6.6' }, firstBootMin: 20, speculative: 'mtp',
} as const;

/** [DS-V3, VR-V3] no thinking mode. vLLM added DeepSeek-V3 in v0.6.6 (release notes, Dec 2024). */
const V3: FamilyFacts = {
  ...V3_BASE, family: 'V3', reasoning: 'none', thinkingDefault: { vllm: false, sglang: false }, toolFormat: 'v3',
  parsers: { vllm: { tool: 'deepseek_v3' }, sglang: { reasoning: 'deepseek-v3', tool: 'deepseekv3' } }, reasoningPassback: 'drop',
};
/** [DS-R1, VR-R1] always reasons; temperature 0.6, top_p 0.95. */
const R1: FamilyFacts = {
  ...V3_BASE, family: 'R1', reasoning: 'always', thinkingDefault: { vllm: true, sglang: true }, toolFormat: 'v3',
  parsers: { vllm: { reasoning: 'deepseek_r1', tool: 'deepseek_v3' }, sglang: { reasoning: 'deepseek-r1', tool: 'deepseekv3' } },
  sampling: { temperature: 0.6, topP: 0.95, source: 'DS-R1 README (0.5–0.7, top_p 0.95)' }, reasoningPassback: 'drop',
};
/** [VR-V31, SG-V31] hybrid thinking through chat_template_kwargs.thinking, off by default; recipe minimum vLLM 0.12. */
const V31: FamilyFacts = {
  ...V3_BASE, family: 'V3.1', reasoning: 'hybrid', thinkingDefault: { vllm: false, sglang: false }, toolFormat: 'v31',
  parsers: { vllm: { reasoning: 'deepseek_v3', tool: 'deepseek_v31' }, sglang: { reasoning: 'deepseek-v3', tool: 'deepseekv31' } },
  reasoningPassback: 'drop', minVersion: { vllm: '0.12.0' },
};
/** [VR-V32, SG-V32, VL-V32tok] DSA; thinking off by default; temperature 1.0, top_p 0.95; vLLM ≥ 0.18. */
const V32: FamilyFacts = {
  ...V3_BASE, family: 'V3.2', architecture: 'DeepseekV32ForCausalLM', kv: DSA_V32, reasoning: 'hybrid', thinkingDefault: { vllm: false, sglang: false },
  toolFormat: 'dsml-v32', parsers: { vllm: { reasoning: 'deepseek_v3', tool: 'deepseek_v32', tokenizerMode: 'deepseek_v32' }, sglang: { reasoning: 'deepseek-v3', tool: 'deepseekv32' } },
  sampling: { temperature: 1.0, topP: 0.95, source: 'SG-V32, VR-V32 (AIME run)' }, reasoningPassback: 'tool-loop', minVersion: { vllm: '0.18.0' },
};
/**
 * [VR-V4F, SG-V4, HFB] V4-Flash: 284B/13B, 1M context, three modes (non-think / high / max). vLLM thinks by default
 * (tokenizer mode deepseek_v4, issue #54677), SGLang does not. Temperature 1.0, top_p 1.0. vLLM ≥ 0.20.
 */
const V4_COMMON = {
  architecture: 'DeepseekV4ForCausalLM', maxPositionEmbeddings: 1048576, reasoning: 'hybrid', thinkingDefault: { vllm: true, sglang: false },
  effortLevels: ['high', 'max'], toolFormat: 'dsml-v4',
  parsers: { vllm: { reasoning: 'deepseek_v4', tool: 'deepseek_v4', tokenizerMode: 'deepseek_v4' }, sglang: { reasoning: 'deepseek-v4', tool: 'deepseekv4' } },
  sampling: { temperature: 1.0, topP: 1.0, source: 'HFB, VR-V4P, SG-V4' }, reasoningPassback: 'with-tools', minVersion: { vllm: '0.20.0' }, speculative: 'mtp',
} as const;
// Dense share of V4-Flash (est.): embeddings + head ≈ 2.1 GB BF16, attention and shared experts ≈ 4–5 GB FP8 of a
// ≈160 GB checkpoint. Checked against VR-I762: it gives the 7.7× DP8/TP8 capacity ratio vLLM logs on 8×B200.
const V4F: FamilyFacts = { ...V4_COMMON, family: 'V4-Flash', kv: V4_FLASH, totalParamsB: 284, activeParamsB: 13, denseFraction: 0.04, firstBootMin: 15 };
/** [VR-V4P, SG-V4] V4-Pro: 1.6T/49B; SGLang CI gives V4-Pro a 5,400 s launch timeout. */
// Dense share of V4-Pro (est.): ≈17B non-expert parameters (attention, shared experts, BF16 embeddings) ≈ 19 GB of 865 GB.
const V4P: FamilyFacts = { ...V4_COMMON, family: 'V4-Pro', kv: V4_PRO, totalParamsB: 1600, activeParamsB: 49, denseFraction: 0.022, launchTimeoutMin: 90 };
/**
 * [VR-V41, SG-V41, DYN-V41] V4.1-Flash: 763B (8B/16B active), vision-language, DSpark only; effort low/high/xhigh/max;
 * vLLM 0.30 image only; 512 GiB host RAM per worker; ≈46 min first boot with the GPUs idle.
 */
const V41F: FamilyFacts = {
  family: 'V4.1-Flash', architecture: 'DeepseekV41ForCausalLM', kv: V41_FLASH, totalParamsB: 763, activeParamsB: 8, maxPositionEmbeddings: 1048576,
  reasoning: 'hybrid', thinkingDefault: { vllm: true, sglang: false }, effortLevels: ['low', 'high', 'xhigh', 'max'], toolFormat: 'dsml-v41',
  parsers: { vllm: { reasoning: 'deepseek_v41', tool: 'deepseek_v41', tokenizerMode: 'deepseek_v41' }, sglang: { reasoning: 'auto', tool: 'auto' } },
  sampling: { temperature: 1.0, topP: 0.95, source: 'VR-V41, SG-V41' }, reasoningPassback: 'with-tools', minVersion: { vllm: '0.30.0' },
  denseFraction: 0.05, hostRamGiBPerWorker: 512, firstBootMin: 46, launchTimeoutMin: 60, speculative: 'dspark',
};

type Row = Omit<ModelVariant, keyof FamilyFacts | 'label' | 'toolCalls' | 'emitsOpeningThink' | 'weightsEstimate'> & Partial<Pick<ModelVariant, 'toolCalls' | 'emitsOpeningThink' | 'weightsEstimate' | 'label'>> & { readonly f: FamilyFacts; readonly over?: Partial<FamilyFacts> };

const FP8_V3_GB = 688.6; // ≈690 GB (est.): 685B × 1 B + block scales, 163 shards [DS-V3]
const rows: Row[] = [
  // V3 / R1 (FP8) [DS-V3, DS-R1, VR-V3, VR-R1]
  { f: V3, id: 'deepseek-ai/DeepSeek-V3', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, source: 'DS-V3, VR-V3' },
  { f: V3, id: 'deepseek-ai/DeepSeek-V3-0324', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, source: 'DS-V3, VR-V3' },
  { f: R1, id: 'deepseek-ai/DeepSeek-R1', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, source: 'DS-R1, VR-R1' },
  { f: R1, id: 'deepseek-ai/DeepSeek-R1-0528', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, emitsOpeningThink: true, source: 'VR-R1, SG-RP' },
  // Quantised V3/R1: community AWQ ≈ 340 GB; NVIDIA FP4 ≈ 1.6× smaller than FP8 (vLLM minimum 403 GB VRAM) [AWQ-CC, VR-V3]
  { f: V3, id: 'cognitivecomputations/DeepSeek-V3-AWQ', quant: 'awq', weightsGB: 340, weightsEstimate: true, shards: 74, notes: 'now QuixiAI; 8×80 GB, vLLM TP8', source: 'AWQ-CC' },
  { f: R1, id: 'cognitivecomputations/DeepSeek-R1-AWQ', quant: 'awq', weightsGB: 340, weightsEstimate: true, shards: 74, notes: 'now QuixiAI; 8×80 GB, vLLM TP8', source: 'AWQ-CC' },
  { f: V3, id: 'nvidia/DeepSeek-V3-FP4', quant: 'fp4', weightsGB: 425, weightsEstimate: true, shards: 80, requires: ['blackwell'], notes: 'repo name as in the recipe; HF may be -0324-FP4 (re-check)', source: 'VR-V3' },
  { f: R1, id: 'nvidia/DeepSeek-R1-FP4', quant: 'fp4', weightsGB: 425, weightsEstimate: true, shards: 80, requires: ['blackwell'], source: 'VR-R1' },
  { f: R1, id: 'nvidia/DeepSeek-R1-0528-NVFP4-v2', quant: 'fp4', weightsGB: 425, weightsEstimate: true, shards: 80, emitsOpeningThink: true, requires: ['blackwell'], source: 'VR-R1' },
  { f: R1, id: 'amd/DeepSeek-R1-MXFP4', quant: 'mxfp4', weightsGB: 371, weightsEstimate: true, shards: 80, requires: ['cdna4'], notes: 'Quark OCP MXFP4 W+A; MI350/MI355, ROCm 7', source: 'AMD-MX' },
  { f: R1, id: 'amd/DeepSeek-R1-0528-MXFP4', quant: 'mxfp4', weightsGB: 371, weightsEstimate: true, shards: 80, emitsOpeningThink: true, requires: ['cdna4'], notes: 'Quark OCP MXFP4 W+A; MI350/MI355, ROCm 7', source: 'AMD-MX' },
  // V3.1 [VR-V31, SG-V31]
  { f: V31, id: 'deepseek-ai/DeepSeek-V3.1', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, notes: 'UE8M0 scales per third-party text (re-check the card)', source: 'VR-V31, SG-V31' },
  { f: V31, id: 'deepseek-ai/DeepSeek-V3.1-Terminus', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, source: 'VR-V31, SG-V31' },
  { f: V31, id: 'nvidia/DeepSeek-V3.1-NVFP4', quant: 'fp4', weightsGB: 425, weightsEstimate: true, shards: 80, requires: ['blackwell'], notes: 'recipe adds --kv-cache-dtype fp8', source: 'VR-V31' },
  { f: V31, id: 'QuantTrio/DeepSeek-V3.1-AWQ-Fp16Mix', quant: 'awq', weightsGB: 360, weightsEstimate: true, shards: 74, notes: 'community card pins a patched vLLM 0.9.2 (fragile)', source: '3P (HF card)', over: { minVersion: { vllm: '0.9.2' } } },
  // V3.2 [VR-V32E, VR-V32, SG-V32]
  { f: V32, id: 'deepseek-ai/DeepSeek-V3.2-Exp', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, notes: 'tool format disputed: vLLM DSML (deepseek_v32), SGLang the V3.1 format', source: 'VR-V32E, SG-V32', over: { minVersion: { vllm: '0.12.0' } } },
  { f: V32, id: 'deepseek-ai/DeepSeek-V3.2', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, notes: '⚠ the vLLM recipe says "~1.3 TB for BF16"', source: 'VR-V32, SG-V32' },
  { f: V32, id: 'deepseek-ai/DeepSeek-V3.2-Speciale', quant: 'fp8', weightsGB: FP8_V3_GB, weightsEstimate: true, shards: 163, toolCalls: false, notes: 'no tool calls', source: 'VR-V32, SG-V32' },
  { f: V32, id: 'nvidia/DeepSeek-V3.2-NVFP4', quant: 'fp4', weightsGB: 350, shards: 80, requires: ['blackwell'], notes: 'SGLang --quantization modelopt_fp4, TP4', source: 'VR-V32, SG-V32' },
  { f: V32, id: 'QuantTrio/DeepSeek-V3.2-AWQ', quant: 'awq', weightsGB: 360, weightsEstimate: true, shards: 74, notes: 'community', source: '3P (HF card)' },
  { f: V32, id: 'QuantTrio/DeepSeek-V3.2-Exp-AWQ', quant: 'awq', weightsGB: 360, weightsEstimate: true, shards: 74, notes: 'community', source: '3P (HF card)', over: { minVersion: { vllm: '0.12.0' } } },
  { f: V32, id: 'amd/DeepSeek-V3.2-mxfp4', quant: 'mxfp4', weightsGB: 371, weightsEstimate: true, shards: 80, requires: ['cdna3', 'cdna4'], notes: 'triton mxfp4 backend, MI300X/MI355X TP8', source: 'SG-V32' },
  // V4-Flash [VR-V4F, SG-V4]: 148.66 GiB preview; DSpark checkpoints ≈167 GB need vLLM 0.25 (ROCm 0.26)
  { f: V4F, id: 'deepseek-ai/DeepSeek-V4-Flash', quant: 'fp4-fp8', weightsGB: 159.6, shards: 46, notes: 'preview 2026-04-24; MTP head', source: 'VR-V4F, SG-V4' },
  { f: V4F, id: 'deepseek-ai/DeepSeek-V4-Flash-0731', quant: 'fp4-fp8', weightsGB: 167, shards: 46, notes: 'official; fused DSpark draft, no MTP head', source: 'VR-V4F, SG-V4', over: { minVersion: { vllm: '0.25.0' }, speculative: 'dspark', totalParamsB: 304, effortLevels: ['low', 'high', 'max'] } },
  { f: V4F, id: 'deepseek-ai/DeepSeek-V4-Flash-DSpark', quant: 'fp4-fp8', weightsGB: 167, shards: 46, notes: 'preview weights re-packed with DSpark', source: 'VR-V4F', over: { minVersion: { vllm: '0.25.0' }, speculative: 'dspark' } },
  { f: V4F, id: 'deepseek-ai/DeepSeek-V4-Flash-Vision-Exp', quant: 'fp4-fp8', weightsGB: 168, shards: 48, notes: 'needs the vllm/vllm-openai:deepseekv4-flash-vision image (0.29 nightly); verified runs used 32K', source: 'VR-V4FV', over: { minVersion: { vllm: '0.29.0' }, totalParamsB: 285 } },
  { f: V4F, id: 'nvidia/DeepSeek-V4-Flash-NVFP4', quant: 'fp4', weightsGB: 159.6, weightsEstimate: true, shards: 46, requires: ['blackwell'], notes: 'same VRAM minimum as FP8 (170 GB): V4 experts are FP4 already', source: 'VR-V4F, SG-V4' },
  // FP8 re-packs: the dense part (≈6 GB Flash, ≈19 GB Pro, est.) is the same bytes as in the FP4 checkpoints, so its
  // share of the larger file is smaller.
  { f: V4F, id: 'sgl-project/DeepSeek-V4-Flash-FP8', quant: 'fp8', weightsGB: 290, weightsEstimate: true, shards: 64, notes: 'all-FP8 re-pack for Hopper/AMD; SGLANG_DSV4_FP4_EXPERTS=0', source: 'SG-V4, SG-V4cfg', over: { denseFraction: 0.022 } },
  // V4-Pro [VR-V4P, SG-V4]: ~865 GB preview (recipe text also says ~960 GB), ~893 GB with DSpark
  { f: V4P, id: 'deepseek-ai/DeepSeek-V4-Pro', quant: 'fp4-fp8', weightsGB: 865, shards: 160, notes: '⚠ recipe text also says "~960 GB mixed precision"', source: 'VR-V4P, SG-V4' },
  { f: V4P, id: 'deepseek-ai/DeepSeek-V4-Pro-0813', quant: 'fp4-fp8', weightsGB: 893, shards: 164, notes: 'official; DSpark', source: 'VR-V4P, SG-V4', over: { minVersion: { vllm: '0.25.0' }, speculative: 'dspark', totalParamsB: 1650, effortLevels: ['low', 'high', 'max'] } },
  { f: V4P, id: 'deepseek-ai/DeepSeek-V4-Pro-DSpark', quant: 'fp4-fp8', weightsGB: 893, shards: 164, source: 'VR-V4P', over: { minVersion: { vllm: '0.25.0' }, speculative: 'dspark' } },
  { f: V4P, id: 'nvidia/DeepSeek-V4-Pro-NVFP4', quant: 'fp4', weightsGB: 865, weightsEstimate: true, shards: 160, requires: ['blackwell'], source: 'VR-V4P, VR-V4P\'' },
  { f: V4P, id: 'sgl-project/DeepSeek-V4-Pro-FP8', quant: 'fp8', weightsGB: 1650, weightsEstimate: true, shards: 320, notes: 'all-FP8 re-pack: 2×8 H200', source: 'SG-V4, SG-V4cfg', over: { denseFraction: 0.0115 } },
  // V4.1-Flash [VR-V41, DYN-V41, SG-V41]: ≈510–511 GB (476 GiB, 48 shards)
  { f: V41F, id: 'deepseek-ai/DeepSeek-V4.1-Flash', quant: 'fp4-fp8', weightsGB: 511, shards: 48, notes: 'Docker image vllm/vllm-openai:deepseekv41-flash-0909; SGLang lmsysorg/sglang:dev-dsv41', source: 'VR-V41, DYN-V41, SG-V41' },
  { f: V41F, id: 'deepseek-ai/DeepSeek-V4.1-Flash-1017', quant: 'fp4-fp8', weightsGB: 511, weightsEstimate: true, shards: 48, notes: 'not in any engine recipe (re-check); 3P listings: 10/17 snapshot', source: '3P' },
];

const label = (id: string): string => id.split('/').pop()!;

export const MODEL_CATALOG: readonly ModelVariant[] = rows.map(({ f, over, ...r }) => ({
  ...f,
  ...over,
  ...r,
  label: r.label ?? label(r.id),
  toolCalls: r.toolCalls ?? true,
  emitsOpeningThink: r.emitsOpeningThink ?? false,
  weightsEstimate: r.weightsEstimate ?? false,
}));

/** Resolves a model id or local path by its last path segment, so /models/DeepSeek-R1 finds the R1 entry. */
export function findModel(idOrPath: string): ModelVariant | undefined {
  const exact = MODEL_CATALOG.find((m) => m.id === idOrPath);
  if (exact) return exact;
  const tail = idOrPath.replace(/\/+$/, '').split('/').pop()?.toLowerCase() ?? '';
  return MODEL_CATALOG.find((m) => m.id.split('/').pop()?.toLowerCase() === tail);
}

/**
 * The catalog entry an endpoint serves: its served name first, then the `root` /v1/models reports (vLLM and SGLang
 * put the checkpoint path there when --served-model-name renames it). Undefined when neither is a known checkpoint.
 */
export function modelForEndpoint(servedName: string, root?: string): ModelVariant | undefined {
  return findModel(servedName) ?? (root ? findModel(root) : undefined);
}

export interface GpuSpec { readonly count: number; readonly model: GpuModel }

/** Parses "8xH100-80GB", "8×H200", "4xB200", "4xGB300", "8xMI355X". */
export function parseGpuSpec(spec: string): GpuSpec {
  const m = /^(\d+)\s*[x×]\s*([A-Za-z0-9]+)(?:-(\d+)GB)?$/i.exec(spec.trim());
  if (!m) throw new Error(`invalid GPU spec "${spec}": expected COUNTxMODEL[-MEMGB], e.g. 8xH100-80GB`);
  const family = m[2].toUpperCase();
  const model = GPU_CATALOG.find((g) => g.id.startsWith(`${family}-`) && (!m[3] || g.id.endsWith(`-${m[3]}GB`)));
  if (!model) throw new Error(`unknown GPU "${m[2]}${m[3] ? `-${m[3]}GB` : ''}": known ${GPU_CATALOG.map((g) => g.id).join(', ')}`);
  if (Number(m[1]) < 1) throw new Error(`invalid GPU spec "${spec}": the count must be at least 1`);
  return { count: Number(m[1]), model };
}

const MIN = 60_000;
/** Launch deadline when nothing is known about the model: an hour covers a V3-sized load plus DeepGEMM JIT. */
export const DEFAULT_STARTUP_DEADLINE_MS = 60 * MIN;

/**
 * How long a launch may take before it is called stuck, in ms: the largest of one hour, the model's documented
 * launch timeout, and twice its documented first boot (V4.1-Flash: ≈46 min first boot [DYN-V41] → 92 min; V4-Pro:
 * SGLang CI's 5,400 s → 90 min), plus one minute per 25 GB of weights beyond 700 GB (reads at ≈0.4 GB/s, est.).
 * Unknown models get DEFAULT_STARTUP_DEADLINE_MS.
 */
export function startupDeadlineMs(modelId: string): number {
  const m = findModel(modelId);
  if (!m) return DEFAULT_STARTUP_DEADLINE_MS;
  const documented = Math.max(60, m.launchTimeoutMin ?? 0, 2 * (m.firstBootMin ?? 0));
  const bigLoad = Math.max(0, m.weightsGB - 700) / 25;
  return Math.round((documented + bigLoad) * MIN);
}

/** Models grouped by family in release order, for pickers. */
export function catalogByFamily(): { family: Family; models: ModelVariant[] }[] {
  const order: Family[] = ['V4.1-Flash', 'V4-Pro', 'V4-Flash', 'V3.2', 'V3.1', 'R1', 'V3'];
  return order.map((family) => ({ family, models: MODEL_CATALOG.filter((m) => m.family === family) }));
}

/**
 * The `--reasoning-parser` value for a checkpoint on an engine (reference §4.1), or undefined where the model needs
 * none (DeepSeek-V3 on vLLM). Checkpoints outside the catalog keep the R1 parser the product always used.
 */
export function reasoningParserName(modelId: string, flavor: 'vllm' | 'sglang'): string | undefined {
  const m = findModel(modelId);
  if (!m) return flavor === 'vllm' ? 'deepseek_r1' : 'deepseek-r1';
  // A model that never reasons gets no reasoning parser: it would only mis-split answers (issue 2/8: V3 "(no reasoning)").
  return m.reasoning === 'none' ? undefined : m.parsers[flavor].reasoning;
}
