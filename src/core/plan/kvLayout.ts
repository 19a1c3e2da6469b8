/**
 * Per-layer KV-cache facts of each DeepSeek attention type, and the bytes a sequence costs in the cache. Capacity is
 * always computed from these layer facts, never from per-model constants. Source keys ([VL-FMLA] …) are those of
 * shared/reference/deepseek-family.md §0; every number here is from §2.1/§2.2 of that file.
 */

/** MLA (V3/R1/V3.1), MLA + DSA lightning indexer (V3.2), V4 compressed sparse/heavily-compressed attention, V4.1. */
export type AttentionKind = 'mla' | 'mla-dsa' | 'v4-csa-hca' | 'v41';

/** KV data type choices that change the bytes per token: `auto` is the engine default for the attention type. */
export type KvDtype = 'auto' | 'fp8' | 'bf16';

export interface KvLayout {
  readonly attention: AttentionKind;
  /** Decoder layers that hold KV (the MTP/DSpark tail layer is not counted). */
  readonly layers: number;
  /** MLA / DSA: layers whose compressed latent is stored per token. */
  readonly mla?: { readonly latent: number; readonly rope: number };
  /** V4: layers with CSA (ratio 4, lightning indexer) and HCA (ratio 128) compression; SWA-only layers keep only the window. */
  readonly v4?: { readonly csa: number; readonly hca: number; readonly swaOnly: number };
  /** V4.1: DeepSeek's global KV bytes per token (VR-V41: "≈890 B, about a quarter of V4-Flash"). */
  readonly v41GlobalBytesPerToken?: number;
  /** Where the figures come from. */
  readonly source: string;
}

/** [DS-V3, SG-V3] 61 layers, kv_lora_rank 512 + RoPE key 64 = 576 elements shared by all 128 heads. */
export const MLA_V3: KvLayout = { attention: 'mla', layers: 61, mla: { latent: 512, rope: 64 }, source: 'DS-V3 config (kv_lora_rank 512, qk_rope_head_dim 64, 61 layers)' };
/** [VL-FMLA, VL-V32idx] same MLA latent, stored as fp8_ds_mla (656 B) plus a 132 B indexer key on every layer. */
export const DSA_V32: KvLayout = { attention: 'mla-dsa', layers: 61, mla: { latent: 512, rope: 64 }, source: 'vLLM flashmla_sparse get_kv_cache_shape (656 B) + DeepseekV32IndexerCache (128 + 4 B)' };
/** [SJX, CFG-F] compress_ratios [0,0,4,128,…,4]: 2 SWA-only, 21 CSA, 20 HCA layers (43 + MTP). */
export const V4_FLASH: KvLayout = { attention: 'v4-csa-hca', layers: 43, v4: { csa: 21, hca: 20, swaOnly: 2 }, source: 'V4-Flash config.json compress_ratios (vLLM test fixture), sglang-jax RFC #1678' };
/** [SJX, CFG-P] [128,128,4,128,…,4]: 30 CSA + 31 HCA layers, no SWA-only layer. */
export const V4_PRO: KvLayout = { attention: 'v4-csa-hca', layers: 61, v4: { csa: 30, hca: 31, swaOnly: 0 }, source: 'V4-Pro config.json compress_ratios, sglang-jax RFC #1678' };
/** [VR-V41] 40 layers, each with a 128-token window; ≈890 B/token global KV (DeepSeek's figure). */
export const V41_FLASH: KvLayout = { attention: 'v41', layers: 40, v41GlobalBytesPerToken: 890, source: 'vLLM recipe DeepSeek-V4.1-Flash.yaml (DeepSeek: ≈890 B/token global KV)' };

/** fp8_ds_mla entry: 512 FP8 latent + 4 FP32 scales + 64 BF16 RoPE [VL-FMLA]. */
export const FP8_DS_MLA_BYTES = 512 + 4 * 4 + 64 * 2;
/** Lightning-indexer key per token per layer: 128 FP8 + a 4-byte scale [VL-V32idx]. */
export const DSA_INDEXER_BYTES = 128 + 4;
/** V4 compressed entry: 448 FP8 NoPE + 64 BF16 RoPE + 8 B UE8M0 scales [VL-V4cmp]. */
export const V4_ENTRY_BYTES = 448 + 64 * 2 + 8;
/** V4 CSA indexer entry per 4 tokens: FP8 (128 + 4) or MXFP4 (64 + 4) [VL-V4cmp]. */
export const V4_INDEXER_BYTES = { fp8: 132, mxfp4: 68 } as const;
/** V4 compression ratios: CSA keeps one entry per 4 tokens, HCA one per 128 [HFB]. */
export const V4_CSA_RATIO = 4;
export const V4_HCA_RATIO = 128;
/** Sliding window kept uncompressed by every V4/V4.1 layer [HFB, VR-V41]. */
export const V4_WINDOW_TOKENS = 128;

export interface KvCost {
  /** Bytes each further token of context adds. */
  readonly bytesPerToken: number;
  /** Bytes a request costs whatever its length (V4 sliding window + FP32 compressor state); 0 for MLA/DSA. */
  readonly fixedBytesPerRequest: number;
  /** True when the figure is the reference's own estimate (V4, V4.1), not a validated engine figure. */
  readonly estimate: boolean;
  /** How the number was formed, for the plan output. */
  readonly formula: string;
}

export interface KvOptions {
  readonly kvDtype: KvDtype;
  /** V4: the CSA indexer cache in MXFP4 (vLLM `indexer_kv_dtype=mxfp4`, SM100 only) instead of FP8. */
  readonly mxfp4Indexer?: boolean;
}

/**
 * Bytes per token and fixed bytes per request for one sequence, on ONE rank: all these models have a single latent /
 * KV head, so tensor parallelism replicates the whole cache on every TP rank (reference §8.1).
 *
 * - MLA: layers × 576 × (1 B FP8 | 2 B BF16) → 35,136 / 70,272 B [§2.2].
 * - DSA: layers × (656 + 132) = 48,068 B (fp8_ds_mla default), or layers × (1152 + 132) = 78,324 B with BF16 [§2.2].
 * - V4: csa × (584 + I)/4 + hca × 584/128, I = 132 (FP8) or 68 (MXFP4 indexer); fixed: layers × 128 × 584 (window) +
 *   FP32 compressor state (CSA: 8 rows × 8 KiB + indexer 8 × 2 KiB; HCA: 128 rows × 4 KiB) [§2.2, est.].
 * - V4.1: 890 B/token + layers × 128 × 584 window (the window entry size is assumed equal to V4's: est.).
 */
export function kvCost(layout: KvLayout, o: KvOptions): KvCost {
  if (layout.attention === 'mla') {
    const elems = layout.mla!.latent + layout.mla!.rope;
    const b = o.kvDtype === 'fp8' ? 1 : 2;
    return { bytesPerToken: layout.layers * elems * b, fixedBytesPerRequest: 0, estimate: false, formula: `${layout.layers} layers × ${elems} × ${b} B (${b === 1 ? 'FP8' : 'BF16'})` };
  }
  if (layout.attention === 'mla-dsa') {
    const entry = o.kvDtype === 'bf16' ? (layout.mla!.latent + layout.mla!.rope) * 2 : FP8_DS_MLA_BYTES;
    return { bytesPerToken: layout.layers * (entry + DSA_INDEXER_BYTES), fixedBytesPerRequest: 0, estimate: false, formula: `${layout.layers} layers × (${entry} ${o.kvDtype === 'bf16' ? 'BF16 latent' : 'fp8_ds_mla'} + ${DSA_INDEXER_BYTES} indexer) B` };
  }
  const windowBytes = layout.layers * V4_WINDOW_TOKENS * V4_ENTRY_BYTES;
  if (layout.attention === 'v41') {
    return { bytesPerToken: layout.v41GlobalBytesPerToken!, fixedBytesPerRequest: windowBytes, estimate: true, formula: `${layout.v41GlobalBytesPerToken} B global KV (DeepSeek) + ${layout.layers} × ${V4_WINDOW_TOKENS}-token window per request` };
  }
  const { csa, hca } = layout.v4!;
  const idx = o.mxfp4Indexer ? V4_INDEXER_BYTES.mxfp4 : V4_INDEXER_BYTES.fp8;
  const perToken = (csa * (V4_ENTRY_BYTES + idx)) / V4_CSA_RATIO + (hca * V4_ENTRY_BYTES) / V4_HCA_RATIO;
  const KiB = 1024;
  // vLLM state_dim = 2·coff·head_dim in FP32: a CSA layer keeps 8 rows × 8 KiB plus the indexer's 8 × 2 KiB, an HCA
  // layer 128 rows × 4 KiB (reference §2.2).
  const compressorState = csa * (8 * 8 * KiB + 8 * 2 * KiB) + hca * 128 * 4 * KiB;
  return {
    bytesPerToken: perToken,
    fixedBytesPerRequest: windowBytes + compressorState,
    estimate: true,
    formula: `${csa} CSA × (${V4_ENTRY_BYTES} + ${idx} ${o.mxfp4Indexer ? 'MXFP4' : 'FP8'} indexer)/${V4_CSA_RATIO} + ${hca} HCA × ${V4_ENTRY_BYTES}/${V4_HCA_RATIO} B; + ${layout.layers} × ${V4_WINDOW_TOKENS}-token window and FP32 compressor state per request`,
  };
}

/** Bytes one sequence of `tokens` context costs on one rank. */
export const sequenceBytes = (c: KvCost, tokens: number): number => c.fixedBytesPerRequest + c.bytesPerToken * tokens;
