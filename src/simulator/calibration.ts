import type { EngineConfig } from './engineArgs';

/**
 * Step cost per set-up, fitted to the seeds' measurements. A decode step serves every running sequence:
 * step = baseMs + perSeqMs × running + prefillMsPerToken × prefill tokens in the step.
 */
export interface Calibration {
  readonly name: string;
  readonly baseMs: number;
  readonly perSeqMs: number;
  readonly prefillMsPerToken: number;
  readonly source: string;
}

export const CALIBRATIONS = {
  // 001_…: sglang.bench_one_batch, batch 1, decode ≈ 20.97 ms/token.
  sglangH200x8: { name: 'SGLang FP8 8×H200', baseMs: 20.6, perSeqMs: 0.35, prefillMsPerToken: 0.085, source: '001 bench_one_batch batch 1: 21 ms/token' },
  // 003_…: vllm bench serve, batch 1, TPOT 15.85 ms, TTFT 560 ms at 7.9k input.
  vllmH200x8: { name: 'vLLM FP8 8×H200 TP+EP', baseMs: 15.5, perSeqMs: 0.35, prefillMsPerToken: 0.0689, source: '003 batch 1: TPOT 15.85 ms, TTFT 560 ms @ 7.9k' },
  // 002_…: --enforce-eager over Ray, 4 nodes × 4 H100: 76 tok/s at 8 seqs … 1030 tok/s at 112 seqs.
  vllmH100x16Eager: { name: 'vLLM FP8 4×4 H100 eager (Ray)', baseMs: 104.7, perSeqMs: 0.036, prefillMsPerToken: 0.2, source: '002 16×H100: 76 tok/s @8, 1030 @112' },
  // 002_…: 2 nodes × 4 H200: 690 tok/s at 96 seqs … 1022 at 144.
  vllmH200x8Nodes2: { name: 'vLLM FP8 2×4 H200 (Ray)', baseMs: 135.2, perSeqMs: 0.04, prefillMsPerToken: 0.15, source: '002 8×H200 2 nodes: 690 tok/s @96, 1022 @144' },
} as const satisfies Record<string, Calibration>;

export function pickCalibration(cfg: EngineConfig, gpuId: string, gpuCount: number, nodes: number): Calibration {
  if (cfg.flavor === 'sglang') return CALIBRATIONS.sglangH200x8;
  if (gpuId.startsWith('H100') && (gpuCount >= 16 || cfg.enforceEager)) return CALIBRATIONS.vllmH100x16Eager;
  if (gpuId.startsWith('H200') && nodes > 1) return CALIBRATIONS.vllmH200x8Nodes2;
  return CALIBRATIONS.vllmH200x8;
}
