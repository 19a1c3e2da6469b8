import type { ProfileInput } from './profileSchema';

/**
 * A ready-made profile reproducing a deployment recipe: one of shared/seeds, or an official vLLM / SGLang recipe for
 * the DeepSeek family (shared/reference/deepseek-family.md §3, cited by source key and row in `source`).
 */
export interface Preset {
  readonly id: string;
  readonly title: string;
  /** The seed file it reproduces (seed presets). */
  readonly seed?: string;
  /** The recipe it renders: source key and row of deepseek-family.md (recipe presets). */
  readonly source?: string;
  /** Why this preset is only rendered, not launched (e.g. AMD recipes until an AMD host has been probed). */
  readonly renderOnly?: string;
  /** What the recipe needs that this product does not do (e.g. prefill/decode disaggregation). */
  readonly notes?: string;
  /** The GPUs the recipe was written for (the planner checks the profile against them). */
  readonly gpus: string;
  readonly profile: ProfileInput;
}

const SEED_PRESETS: readonly Preset[] = [
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
  {
    // Seed 004's GKE half: `helm install … $USER-serving-deepseek-r1-model` on an A4 High node pool (1 node, 8 B200),
    // vllm/vllm-openai:v0.9.0, the token in a Secret (the recipe's `kubectl create secret generic hf-secret`), then
    // `kubectl port-forward svc/…` to chat. GKE taints GPU nodes nvidia.com/gpu=present:NoSchedule and labels them
    // cloud.google.com/gke-accelerator=nvidia-b200 (GKE docs: "Run GPUs in GKE Standard node pools").
    id: 'b200x8-vllm-gke-helm',
    title: '8×B200 (GKE A4 High) · DeepSeek-R1 FP8 · vLLM 0.9.0 · Kubernetes (Helm)',
    seed: '004',
    gpus: '8xB200-180GB',
    notes: 'The recipe also mounts a GCS bucket for benchmark results and sets up RDMA (RoCE) networking through its own chart; this preset serves the model with the product\'s chart (weights in a per-pod emptyDir: set runtime.hfCache to a PVC to keep them between releases).',
    profile: {
      name: 'r1-b200x8-gke',
      engine: { kind: 'vllm', version: '0.9.0' },
      model: { id: 'deepseek-ai/DeepSeek-R1' },
      parallel: { tp: 8 },
      knobs: { extraArgs: ['--disable-log-requests'] },
      env: { VLLM_USE_V1: '1', VLLM_FLASH_ATTN_VERSION: '2', VLLM_ATTENTION_BACKEND: 'FLASHINFER', VLLM_WORKER_MULTIPROC_METHOD: 'spawn' },
      runtime: {
        kind: 'kubernetes',
        release: 'serving-deepseek-r1-model',
        gpuResource: 'nvidia.com/gpu',
        nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-b200' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        shmSize: '64Gi',
      },
    },
  },
];

// Recipe building blocks (reference §3.2): V4 base args, tools and reasoning, strategies.
const V4_BASE = ['--block-size', '256'];
const V4_TOOLS = ['--tokenizer-mode', 'deepseek_v4', '--tool-call-parser', 'deepseek_v4', '--enable-auto-tool-choice'];
const V4_TEP_DEP_COMPILE = ['--compilation-config', '{"cudagraph_mode":"FULL_AND_PIECEWISE","custom_ops":["all"]}'];
const DSPARK7 = ['--speculative-config', '{"method":"dspark","num_speculative_tokens":7,"draft_sample_method":"probabilistic"}'];
const SGL_EAGLE_314 = ['--speculative-algorithm', 'EAGLE', '--speculative-num-steps', '3', '--speculative-eagle-topk', '1', '--speculative-num-draft-tokens', '4'];
const AMD_RENDER_ONLY = 'AMD recipe: rendered for review; launch once an AMD host has been probed';

/** The DeepSeek family's official recipes (vLLM recipes repo, SGLang cookbook), as profiles. */
const RECIPE_PRESETS: readonly Preset[] = [
  {
    id: 'v31-h200x8-vllm-tp-ep',
    title: '8×H200 · DeepSeek-V3.1 · vLLM TP8+EP · tools + hybrid thinking',
    source: 'VR-V31 (§3.2 "V3.1 / Terminus")',
    gpus: '8xH200-141GB',
    profile: {
      name: 'v31-h200x8', engine: { kind: 'vllm', version: '0.12.0' }, model: { id: 'deepseek-ai/DeepSeek-V3.1', servedModelName: 'ds31' },
      parallel: { tp: 8, expertParallel: true },
      knobs: { trustRemoteCode: false, extraArgs: ['--enable-auto-tool-choice', '--tool-call-parser', 'deepseek_v31', '--chat-template', 'examples/tool_chat_template_deepseekv31.jinja'] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v32-h200x8-vllm-dp-ep',
    title: '8×H200 · DeepSeek-V3.2 · vLLM DP8+EP (FlashMLA-Sparse prefers TP≤2) · DSML tools',
    source: 'VR-V32 (§3.2 "V3.2", perf line: vllm serve deepseek-ai/DeepSeek-V3.2 -dp 8 --enable-expert-parallel)',
    gpus: '8xH200-141GB',
    profile: {
      name: 'v32-h200x8-dp', engine: { kind: 'vllm', version: '0.18.0' }, model: { id: 'deepseek-ai/DeepSeek-V3.2' },
      parallel: { tp: 1, dp: 8, expertParallel: true },
      knobs: { extraArgs: ['--tokenizer-mode', 'deepseek_v32', '--tool-call-parser', 'deepseek_v32', '--enable-auto-tool-choice'] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4flash-h200x4-vllm-dep',
    title: '4×H200 · DeepSeek-V4-Flash · vLLM DP4+EP (DEP) · MTP 1 · thinking + DSML tools',
    source: 'VR-V4F (§3.2 "V4-Flash / V4-Pro: recipe building blocks": base args, DEP forced to DP 4, MTP 1 on Hopper)',
    gpus: '4xH200-141GB',
    profile: {
      name: 'v4flash-h200x4', engine: { kind: 'vllm', version: '0.20.0' }, model: { id: 'deepseek-ai/DeepSeek-V4-Flash' },
      parallel: { tp: 1, dp: 4, expertParallel: true },
      knobs: { kvCacheDtype: 'fp8', extraArgs: [...V4_BASE, ...V4_TEP_DEP_COMPILE, ...V4_TOOLS, '--reasoning-config', '{"reasoning_parser":"deepseek_v4","reasoning_start_str":"","reasoning_end_str":""}', '--speculative-config', '{"method":"mtp","num_speculative_tokens":1}'] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4flash0731-b200x8-vllm-tep-dspark',
    title: '8×B200 · DeepSeek-V4-Flash-0731 · vLLM TP8+EP · DSpark 7 · MXFP4 indexer · MegaMoE',
    source: 'VR-V4F (§3.2 building blocks: TEP, Blackwell indexer_kv_dtype=mxfp4 + deep_gemm_mega_moe, DSpark on 0731)',
    gpus: '8xB200-180GB',
    profile: {
      name: 'v4flash0731-b200x8', engine: { kind: 'vllm', version: '0.25.0' }, model: { id: 'deepseek-ai/DeepSeek-V4-Flash-0731' },
      parallel: { tp: 8, expertParallel: true },
      knobs: { kvCacheDtype: 'fp8', extraArgs: [...V4_BASE, '--attention_config.indexer_kv_dtype=mxfp4', '--moe-backend', 'deep_gemm_mega_moe', ...V4_TEP_DEP_COMPILE, ...V4_TOOLS, ...DSPARK7] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4pro0813-b200x8-vllm-tep',
    title: '8×B200 · DeepSeek-V4-Pro-0813 · vLLM TP8+EP · DSpark 7 (the reference\'s composed example)',
    source: 'VR-V4P (§3.2 "Example, composed: V4-Pro-0813 on 8×B200, TEP")',
    gpus: '8xB200-180GB',
    profile: {
      name: 'v4pro0813-b200x8', engine: { kind: 'vllm', version: '0.25.0' }, model: { id: 'deepseek-ai/DeepSeek-V4-Pro-0813' },
      parallel: { tp: 8, expertParallel: true },
      knobs: { kvCacheDtype: 'fp8', extraArgs: [...V4_BASE, '--attention_config.indexer_kv_dtype=mxfp4', '--moe-backend', 'deep_gemm_mega_moe', ...V4_TEP_DEP_COMPILE, ...V4_TOOLS, ...DSPARK7] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4pro-h200x8-vllm-hopper',
    title: '8×H200 · DeepSeek-V4-Pro · vLLM DP8+EP · Hopper context cap 200,000',
    source: 'VR-V4P (§3.2 "Hopper, V4-Pro" args; ⚠ the recipe text says 800K, the argument 200000; Dynamo caps 86,016)',
    gpus: '8xH200-141GB',
    notes: '⚠ sources disagree on the Hopper context cap (200,000 in the argument, 800K in the text, 86,016 in Dynamo)',
    profile: {
      name: 'v4pro-h200x8', engine: { kind: 'vllm', version: '0.20.0' }, model: { id: 'deepseek-ai/DeepSeek-V4-Pro' },
      parallel: { tp: 1, dp: 8, expertParallel: true },
      knobs: { maxModelLen: 200000, maxNumSeqs: 16, gpuMemoryUtilization: 0.95, kvCacheDtype: 'fp8', extraArgs: [...V4_BASE, '--no-enable-flashinfer-autotune', '--compilation-config', '{"mode": 0, "cudagraph_mode": "FULL_DECODE_ONLY"}', ...V4_TOOLS] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v41flash-mi355x4-vllm-rocm',
    title: '4×MI355X · DeepSeek-V4.1-Flash · vLLM ROCm TP4 · DSpark 5',
    source: 'VR-V41 (§3.2 "V4.1-Flash" MI355X benchmark server, verbatim flags and env)',
    gpus: '4xMI355X-288GB',
    renderOnly: AMD_RENDER_ONLY,
    profile: {
      name: 'v41flash-mi355x4', engine: { kind: 'vllm', version: '0.30.0', image: 'vllm/vllm-openai-rocm:nightly' }, model: { id: 'deepseek-ai/DeepSeek-V4.1-Flash' },
      parallel: { tp: 4 },
      knobs: {
        trustRemoteCode: false, maxModelLen: 1048576, maxNumSeqs: 128, maxNumBatchedTokens: 16384, gpuMemoryUtilization: 0.9,
        extraArgs: ['--language-model-only', '--tokenizer-mode', 'deepseek_v41', '--tool-call-parser', 'deepseek_v41', '--enable-auto-tool-choice', '--moe-backend', 'aiter', '--speculative-config', '{"method":"dspark","num_speculative_tokens":5,"draft_sample_method":"probabilistic","rejection_sample_method":"block","enable_adaptive_verification":false}', '--max-cudagraph-capture-size', '1024'],
      },
      env: { VLLM_ROCM_USE_AITER: '1', VLLM_ROCM_USE_AITER_MOE: '1', VLLM_USE_BREAKABLE_CUDAGRAPH: '1', VLLM_ENGINE_READY_TIMEOUT_S: '3600', VLLM_USE_RUST_FRONTEND: '1' },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4flash-b200x4-sglang-lowlat',
    title: '4×B200 · DeepSeek-V4-Flash · SGLang TP4 · EAGLE 3/1/4 · low latency',
    source: 'SG-V4cfg (§3.3 row "B200 Flash FP4 low-latency")',
    gpus: '4xB200-180GB',
    profile: {
      name: 'v4flash-b200x4-sgl', engine: { kind: 'sglang' }, model: { id: 'deepseek-ai/DeepSeek-V4-Flash' },
      parallel: { tp: 4 },
      knobs: { port: 30000, extraArgs: ['--moe-runner-backend', 'flashinfer_mxfp4', ...SGL_EAGLE_314, '--disable-flashinfer-autotune', '--swa-full-tokens-ratio', '0.1', '--tool-call-parser', 'deepseekv4'] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4flash-b200x4-sglang-balanced',
    title: '4×B200 · DeepSeek-V4-Flash · SGLang TP4 DP4 attention · DeepEP · balanced',
    source: 'SG-V4cfg (§3.3 row "B200/B300/GB200/GB300 Flash balanced")',
    gpus: '4xB200-180GB',
    profile: {
      name: 'v4flash-b200x4-sgl-dp', engine: { kind: 'sglang' }, model: { id: 'deepseek-ai/DeepSeek-V4-Flash' },
      parallel: { tp: 4, dp: 4, dpAttention: true },
      knobs: { port: 30000, extraArgs: ['--moe-a2a-backend', 'deepep', '--deepep-config', '{"normal_dispatch":{"num_sms":96},"normal_combine":{"num_sms":96}}', '--tool-call-parser', 'deepseekv4'] },
      env: { SGLANG_DEEPEP_NUM_MAX_DISPATCH_TOKENS_PER_RANK: '1024' },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v4pro-fp8-h200x16-sglang-2nodes',
    title: '2 nodes × 8 H200 · DeepSeek-V4-Pro FP8 re-pack · SGLang TP16 DP16 attention · DeepEP · SLURM',
    source: 'SG-V4cfg (§3.3 row "H200 Pro FP8 (2 nodes)"); multi-node flags per §3.4 SGLang',
    gpus: '16xH200-141GB',
    profile: {
      name: 'v4pro-fp8-h200x16', engine: { kind: 'sglang' }, model: { id: 'sgl-project/DeepSeek-V4-Pro-FP8' },
      parallel: { tp: 16, dp: 16, dpAttention: true, nodes: 2 },
      knobs: { port: 30000, gpuMemoryUtilization: 0.88, maxNumSeqs: 32, extraArgs: ['--moe-a2a-backend', 'deepep', '--cuda-graph-max-bs-decode', '8', '--tool-call-parser', 'deepseekv4'] },
      env: { SGLANG_DSV4_FP4_EXPERTS: '0', SGLANG_DEEPEP_NUM_MAX_DISPATCH_TOKENS_PER_RANK: '128' },
      runtime: { kind: 'slurm', gpusPerNode: 8, exclusive: true, multiNode: 'native' },
    },
  },
  {
    id: 'v4flash-mi355x8-sglang-lowlat',
    title: '8×MI355X · DeepSeek-V4-Flash · SGLang ROCm TP8 · dsv4 attention',
    source: 'SG-V4cfg (§3.3 row "MI355X Flash/Pro FP4 or FP8 low-latency"); image lmsysorg/sglang-rocm:v0.5.18-rocm720-mi35x-20260829',
    gpus: '8xMI355X-288GB',
    renderOnly: AMD_RENDER_ONLY,
    profile: {
      name: 'v4flash-mi355x8-sgl', engine: { kind: 'sglang', version: '0.5.18', image: 'lmsysorg/sglang-rocm:v0.5.18-rocm720-mi35x-20260829' }, model: { id: 'deepseek-ai/DeepSeek-V4-Flash' },
      parallel: { tp: 8 },
      knobs: { port: 30000, gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 16384, extraArgs: ['--attention-backend', 'dsv4', '--page-size', '256', '--swa-full-tokens-ratio', '0.15', '--enforce-shared-experts-fusion', '--kv-cache-dtype', 'fp8_e4m3', '--tool-call-parser', 'deepseekv4'] },
      env: { SGLANG_USE_ROCM700A: '0', TORCH_BLAS_PREFER_HIPBLASLT: '1', SGLANG_HACK_FLASHMLA_BACKEND: 'unified_kv_triton', AITER_BF16_FP8_MOE_BOUND: '0', SGLANG_OPT_USE_AITER_BATCHED_GEMM: 'true' },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
  {
    id: 'v41flash-gb300x4-sglang-dspark',
    title: '4×GB300 · DeepSeek-V4.1-Flash · SGLang TP4 EP4 · DSpark · low latency (dev-dsv41 image)',
    source: 'SG-V41 (§3.3 "V4.1-Flash" GB300/B200/B300 low-latency line)',
    gpus: '4xGB300-288GB',
    notes: 'needs 512 GiB host RAM per worker (DYN-V41); preview image, no pip release',
    profile: {
      name: 'v41flash-gb300x4-sgl', engine: { kind: 'sglang', image: 'lmsysorg/sglang:dev-dsv41' }, model: { id: 'deepseek-ai/DeepSeek-V4.1-Flash' },
      parallel: { tp: 4 },
      knobs: { port: 30000, gpuMemoryUtilization: 0.8, extraArgs: ['--ep-size', '4', '--speculative-algorithm', 'DSPARK', '--speculative-dspark-block-size', '5', '--cuda-graph-max-bs-decode', '64', '--tool-call-parser', 'auto'] },
      runtime: { kind: 'docker', network: 'host', shmSize: '32g' },
    },
  },
];

/** Every preset: the seeds' set-ups first, then the DeepSeek family's official recipes. */
export const PRESETS: readonly Preset[] = [...SEED_PRESETS, ...RECIPE_PRESETS];
