import type { ProfileInput } from './profileSchema';

/** A ready-made profile reproducing one of the deployment recipes in shared/seeds. */
export interface Preset {
  readonly id: string;
  readonly title: string;
  /** The seed file it reproduces. */
  readonly seed: string;
  /** The GPUs the recipe was written for (the planner checks the profile against them). */
  readonly gpus: string;
  readonly profile: ProfileInput;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'h100x8-awq-vllm-compose',
    title: '8×H100 · DeepSeek-R1 AWQ · vLLM 0.7.3 · docker compose',
    seed: '000',
    gpus: '8xH100-80GB',
    profile: {
      name: 'r1-awq-h100x8',
      engine: { kind: 'vllm', version: '0.7.3' },
      model: { id: 'cognitivecomputations/DeepSeek-R1-AWQ' },
      parallel: { tp: 8, pp: 1 },
      knobs: { maxModelLen: 8000, maxNumSeqs: 128 },
      runtime: { kind: 'compose' },
    },
  },
  {
    id: 'h200x8-sglang-dp-attention-docker',
    title: '8×H200 · DeepSeek-R1 FP8 · SGLang · DP attention · docker',
    seed: '001',
    gpus: '8xH200-141GB',
    profile: {
      name: 'r1-sglang-h200x8',
      engine: { kind: 'sglang' },
      model: { id: 'deepseek-ai/DeepSeek-R1' },
      parallel: { tp: 8, dpAttention: true },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'h100x16-vllm-slurm-ray',
    title: '4 nodes × 4 H100 · DeepSeek-R1 FP8 · vLLM over Ray · SLURM',
    seed: '002',
    gpus: '16xH100-80GB',
    profile: {
      name: 'r1-h100x16-slurm',
      engine: { kind: 'vllm', version: '0.8.5' },
      model: { id: 'deepseek-ai/DeepSeek-R1' },
      parallel: { tp: 16, nodes: 4 },
      knobs: { maxNumSeqs: 112, maxNumBatchedTokens: 57344, gpuMemoryUtilization: 0.9, enforceEager: true },
      runtime: { kind: 'slurm', gpusPerNode: 4, cpusPerTask: 96, mem: '1440G', exclusive: true, constraint: 'h100', time: '03-00:00:00', multiNode: 'ray' },
    },
  },
  {
    id: 'h200x8-vllm-slurm-ray-2nodes',
    title: '2 nodes × 4 H200 · DeepSeek-R1 FP8 · vLLM over Ray · SLURM',
    seed: '002',
    gpus: '8xH200-141GB',
    profile: {
      name: 'r1-h200x8-slurm',
      engine: { kind: 'vllm', version: '0.8.5' },
      model: { id: 'deepseek-ai/DeepSeek-R1' },
      parallel: { tp: 8, nodes: 2 },
      knobs: { maxNumSeqs: 112, maxNumBatchedTokens: 57344, gpuMemoryUtilization: 0.9, enforceEager: true },
      runtime: { kind: 'slurm', gpusPerNode: 4, cpusPerTask: 96, mem: '1440G', exclusive: true, constraint: 'h200', time: '03-00:00:00', multiNode: 'ray' },
    },
  },
  {
    id: 'h200x8-vllm-tp-ep',
    title: '8×H200 · DeepSeek-R1-0528 FP8 · vLLM TP+EP',
    seed: '003',
    gpus: '8xH200-141GB',
    profile: {
      name: 'r1-0528-tp-ep-h200x8',
      engine: { kind: 'vllm' },
      model: { id: 'deepseek-ai/DeepSeek-R1-0528' },
      parallel: { tp: 8, expertParallel: true },
      runtime: { kind: 'process' },
    },
  },
  {
    id: 'h200x8-vllm-dp-ep',
    title: '8×H200 · DeepSeek-R1-0528 FP8 · vLLM DP+EP',
    seed: '003',
    gpus: '8xH200-141GB',
    profile: {
      name: 'r1-0528-dp-ep-h200x8',
      engine: { kind: 'vllm' },
      model: { id: 'deepseek-ai/DeepSeek-R1-0528' },
      parallel: { tp: 1, dp: 8, expertParallel: true },
      runtime: { kind: 'process' },
    },
  },
  {
    id: 'b200x4-vllm-fp4-tp-ep',
    title: '4×B200 · DeepSeek-R1 FP4 (NVIDIA) · vLLM TP+EP · FlashInfer',
    seed: '003',
    gpus: '4xB200-180GB',
    profile: {
      name: 'r1-fp4-b200x4',
      engine: { kind: 'vllm' },
      model: { id: 'nvidia/DeepSeek-R1-FP4' },
      parallel: { tp: 4, expertParallel: true },
      env: { VLLM_ATTENTION_BACKEND: 'CUTLASS_MLA', VLLM_USE_FLASHINFER_MOE_FP4: '1', CUDA_VISIBLE_DEVICES: '0,1,2,3' },
      runtime: { kind: 'process' },
    },
  },
  {
    id: 'b200x8-vllm-docker',
    title: '8×B200 · DeepSeek-R1 FP8 · vLLM 0.9.0 image · docker',
    seed: '004',
    gpus: '8xB200-180GB',
    profile: {
      name: 'r1-b200x8-docker',
      engine: { kind: 'vllm', version: '0.9.0' },
      model: { id: 'deepseek-ai/DeepSeek-R1' },
      parallel: { tp: 8 },
      knobs: { extraArgs: ['--disable-log-requests'] },
      env: { VLLM_USE_V1: '1', VLLM_FLASH_ATTN_VERSION: '2', VLLM_ATTENTION_BACKEND: 'FLASHINFER', VLLM_WORKER_MULTIPROC_METHOD: 'spawn' },
      runtime: { kind: 'docker', network: 'bridge' },
    },
  },
];
