import type { Profile } from '../profiles/profileSchema';
import { findModel, MODEL_CATALOG, type GpuSpec } from './catalog';
import { planMemoryFit, type FitResult } from './memoryFit';
import { checkEngineVersion } from './versionGate';

export interface ProfileFit {
  readonly fit: FitResult | undefined;
  /** Launch must not go ahead (a certain misfit and the profile does not set allowMisfit). */
  readonly refuse: boolean;
  readonly summary: string;
}

/**
 * The planner's verdict for a profile on the GPUs of its host (per node × nodes). Unknown checkpoints cannot be
 * judged, so they are allowed with a note rather than guessed at.
 */
export function checkProfileFit(p: Profile, gpusPerNode: GpuSpec): ProfileFit {
  // The engine release gate comes first: no allowMisfit override, the engine would not start.
  const gate = checkEngineVersion(p);
  if (gate.refuse) return { fit: undefined, refuse: true, summary: `refused: ${gate.reason}` };
  const model = findModel(p.model.id);
  if (!model) return { fit: undefined, refuse: false, summary: `no size data for ${p.model.id} (known: ${MODEL_CATALOG.map((m) => m.id).join(', ')}); memory fit not checked` };
  const gpus: GpuSpec = { count: gpusPerNode.count * p.parallel.nodes, model: gpusPerNode.model };
  const fit = planMemoryFit({
    model,
    gpus,
    tp: p.parallel.tp,
    dp: p.parallel.dp,
    pp: p.parallel.pp,
    expertParallel: p.parallel.expertParallel,
    dpAttention: p.parallel.dpAttention || p.parallel.dp > 1,
    flavor: p.engine.kind === 'simulator' ? (p.engine.imitates ?? 'vllm') : p.engine.kind,
    mxfp4Indexer: p.knobs.extraArgs.some((a) => /indexer_kv_dtype=mxfp4|use_fp4_indexer_cache=True/.test(a)),
    gpuMemoryUtilization: p.knobs.gpuMemoryUtilization ?? 0.9,
    kvCacheDtype: p.knobs.kvCacheDtype ?? 'auto',
    maxModelLen: p.knobs.maxModelLen,
  });
  const where = `${gpus.count}× ${gpus.model.id}`;
  if (fit.fits) return { fit, refuse: false, summary: `fits on ${where}: ${fit.kvTokenCapacity.toLocaleString('en-US')} KV tokens, ${fit.maxConcurrency.toFixed(2)}× ${fit.maxModelLen.toLocaleString('en-US')}-token requests${fit.kvEstimate ? ' (est.)' : ''}, up to ${fit.largestMaxModelLen.toLocaleString('en-US')}-token context${fit.hostRamGiBPerWorker ? `; needs ${fit.hostRamGiBPerWorker} GiB host RAM per worker` : ''}` };
  const why = fit.reason === 'weights' ? 'the weights do not fit in GPU memory' : fit.reason === 'gpus' ? 'the layout needs more GPUs than there are' : `the KV cache holds only ${fit.largestMaxModelLen.toLocaleString('en-US')} tokens, less than max-model-len ${fit.maxModelLen.toLocaleString('en-US')}`;
  return { fit, refuse: !p.allowMisfit, summary: `does not fit on ${where}: ${why}. Try: ${fit.suggestions.join('; ')}${p.allowMisfit ? ' (allowMisfit is set: launching anyway)' : ''}` };
}
