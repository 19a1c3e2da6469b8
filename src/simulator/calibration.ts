import type { EngineConfig } from './engineArgs';
import type { Family } from '../core/plan/catalog';

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
  /** Fitted by us from published per-concurrency figures (two or three points), not measured on the set-up: est. */
  readonly estimate?: boolean;
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
  // V4 rows (est.): fitted to the SGLang cookbook's TPOT at concurrency 1 and 16 and TTFT at 8,192 input tokens
  // (deepseek-family.md §7.3, SG-V4bench, random 8192/1024): perSeq = (TPOT16 − TPOT1)/15, prefill = TTFT1/8192.
  sglangV4FlashB200: { name: 'SGLang V4-Flash FP4 4×B200 TP4 (EAGLE)', baseMs: 2.52, perSeqMs: 0.39, prefillMsPerToken: 0.0369, source: 'SG-V4bench B200 Flash low-lat: TPOT 2.91 ms @1, 8.76 @16; TTFT 302 ms', estimate: true },
  sglangV4FlashH200: { name: 'SGLang V4-Flash FP4 H200 TP4', baseMs: 2.92, perSeqMs: 0.455, prefillMsPerToken: 0.0295, source: 'SG-V4bench H200 Flash FP4: TPOT 3.37 ms @1, 10.19 @16; TTFT 242 ms', estimate: true },
  sglangV4ProB200: { name: 'SGLang V4-Pro FP4 8×B200 TP8 (EAGLE)', baseMs: 3.76, perSeqMs: 0.487, prefillMsPerToken: 0.0281, source: 'SG-V4bench B200 Pro low-lat: TPOT 4.25 ms @1, 11.56 @16; TTFT 230 ms', estimate: true },
  sglangV4ProH200: { name: 'SGLang V4-Pro FP4 8×H200 TP8', baseMs: 4.49, perSeqMs: 1.163, prefillMsPerToken: 0.0774, source: 'SG-V4bench H200 Pro: TPOT 5.65 ms @1, 23.1 @16; TTFT 634 ms', estimate: true },
  // V4.1 (est.): one point, Dynamo + vLLM agg on B200, 2 workers × TP4 at concurrency 88: ITL p50 18.3 ms (DYN-V41).
  vllmV41FlashB200: { name: 'vLLM V4.1-Flash 4×B200 TP4 (DSpark 3)', baseMs: 2, perSeqMs: 0.37, prefillMsPerToken: 0.03, source: 'DYN-V41 B200 agg: ITL p50 18.3 ms at 44 requests per worker', estimate: true },
} as const satisfies Record<string, Calibration>;

/** The step cost for a set-up: the V4/V4.1 rows by family and GPU generation, else the seeds' V3/R1 rows. */
export function pickCalibration(cfg: EngineConfig, gpuId: string, gpuCount: number, nodes: number, family?: Family): Calibration {
  const hopper = /^H\d/.test(gpuId);
  if (family === 'V4-Flash') return hopper ? CALIBRATIONS.sglangV4FlashH200 : CALIBRATIONS.sglangV4FlashB200;
  if (family === 'V4-Pro') return hopper ? CALIBRATIONS.sglangV4ProH200 : CALIBRATIONS.sglangV4ProB200;
  if (family === 'V4.1-Flash') return CALIBRATIONS.vllmV41FlashB200;
  if (cfg.flavor === 'sglang') return CALIBRATIONS.sglangH200x8;
  if (gpuId.startsWith('H100') && (gpuCount >= 16 || cfg.enforceEager)) return CALIBRATIONS.vllmH100x16Eager;
  if (gpuId.startsWith('H200') && nodes > 1) return CALIBRATIONS.vllmH200x8Nodes2;
  return CALIBRATIONS.vllmH200x8;
}
