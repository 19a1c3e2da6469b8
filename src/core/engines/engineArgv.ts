import type { Profile } from '../profiles/profileSchema';
import { reasoningParserName } from '../plan/catalog';
import { compareVersions } from '../util/versions';

/** Engine releases we assume when a profile names none (the simulator imitates the same ones). */
export const DEFAULT_ENGINE_VERSIONS = { vllm: '0.17.1', sglang: '0.5.5' } as const;

export type EngineFlavor = 'vllm' | 'sglang';

/** Which engine actually answers: the simulator imitates vLLM unless told otherwise. */
export const flavorOf = (p: Profile): EngineFlavor => (p.engine.kind === 'simulator' ? (p.engine.imitates ?? 'vllm') : p.engine.kind);

export const engineVersionOf = (p: Profile): string => (p.engine.version ?? DEFAULT_ENGINE_VERSIONS[flavorOf(p)]).replace(/^v/, '');

export function defaultImage(p: Profile): string {
  if (p.engine.image) return p.engine.image;
  const v = p.engine.version;
  return flavorOf(p) === 'vllm' ? `vllm/vllm-openai:${v ? `v${v.replace(/^v/, '')}` : 'latest'}` : `lmsysorg/sglang:${v ? `v${v.replace(/^v/, '')}` : 'latest'}`;
}

export interface MultiNodeContext {
  /** vLLM over Ray: one engine spans nodes × GPUs; SGLang native: per-node rank flags (shell expressions allowed). */
  readonly mode: 'ray' | 'native';
  readonly nodes: number;
  readonly distInitAddr?: string;
  readonly nodeRankExpr?: string;
}

/**
 * vLLM's own command line, in the seeds' order: model, trust-remote-code, parallelism, knobs, reasoning, port.
 * `form: 'image'` is the vllm/vllm-openai entrypoint form (`--model M …`), `serve` is `vllm serve M …`.
 */
export function vllmArgv(p: Profile, form: 'serve' | 'image', multi?: MultiNodeContext, host?: string): string[] {
  const v = engineVersionOf(p);
  const k = p.knobs;
  const a: string[] = form === 'serve' ? ['vllm', 'serve', p.model.id] : ['--model', p.model.id];
  if (k.trustRemoteCode) a.push('--trust-remote-code');
  if (p.parallel.tp > 1) a.push('--tensor-parallel-size', String(p.parallel.tp));
  if (p.parallel.pp > 1) a.push('--pipeline-parallel-size', String(p.parallel.pp));
  if (p.parallel.dp > 1) a.push('--data-parallel-size', String(p.parallel.dp));
  if (p.parallel.expertParallel) a.push('--enable-expert-parallel');
  if (p.model.servedModelName) a.push('--served-model-name', p.model.servedModelName);
  if (p.model.revision) a.push('--revision', p.model.revision);
  if (k.maxModelLen) a.push('--max-model-len', String(k.maxModelLen));
  if (k.maxNumSeqs) a.push('--max-num-seqs', String(k.maxNumSeqs));
  if (k.maxNumBatchedTokens) a.push('--max-num-batched-tokens', String(k.maxNumBatchedTokens));
  if (k.gpuMemoryUtilization) a.push('--gpu-memory-utilization', String(k.gpuMemoryUtilization));
  if (k.kvCacheDtype && k.kvCacheDtype !== 'auto') a.push('--kv-cache-dtype', k.kvCacheDtype);
  if (k.enforceEager) a.push('--enforce-eager');
  if (k.disablePrefixCaching) a.push('--no-enable-prefix-caching');
  // The model's own parser from the catalog (none for DeepSeek-V3).
  const parser = k.reasoningParser ? reasoningParserName(p.model.id, 'vllm') : undefined;
  if (parser) {
    // Before 0.9 the parser needed --enable-reasoning; 0.9 deprecated it and 0.10 rejects it.
    if (compareVersions(v, '0.9.0') < 0) a.push('--enable-reasoning');
    a.push('--reasoning-parser', parser);
  }
  if (multi?.mode === 'ray') a.push('--distributed-executor-backend', 'ray');
  // vLLM's default host binds every interface; the launcher always says which one (launchPlan's exposureOf).
  if (host) a.push('--host', host);
  a.push('--port', String(k.port));
  a.push(...k.extraArgs);
  return a;
}

/** SGLang's launch_server command line (seed 001 order), with native multi-node rank flags when asked. */
export function sglangArgv(p: Profile, multi?: MultiNodeContext, host = '0.0.0.0'): string[] {
  const k = p.knobs;
  const a = ['python3', '-m', 'sglang.launch_server', '--model-path', p.model.id];
  if (p.parallel.tp > 1) a.push('--tp', String(p.parallel.tp));
  if (p.parallel.dp > 1) a.push('--dp', String(p.parallel.dp));
  if (k.trustRemoteCode) a.push('--trust-remote-code');
  if (p.parallel.dpAttention) a.push('--enable-dp-attention');
  if (p.parallel.expertParallel) a.push('--ep', String(p.parallel.tp));
  if (p.model.servedModelName) a.push('--served-model-name', p.model.servedModelName);
  if (k.maxModelLen) a.push('--context-length', String(k.maxModelLen));
  if (k.maxNumSeqs) a.push('--max-running-requests', String(k.maxNumSeqs));
  if (k.maxNumBatchedTokens) a.push('--chunked-prefill-size', String(k.maxNumBatchedTokens));
  if (k.gpuMemoryUtilization) a.push('--mem-fraction-static', String(k.gpuMemoryUtilization));
  if (k.kvCacheDtype === 'fp8') a.push('--kv-cache-dtype', 'fp8_e5m2');
  if (k.disablePrefixCaching) a.push('--disable-radix-cache');
  const sgParser = k.reasoningParser ? reasoningParserName(p.model.id, 'sglang') : undefined;
  if (sgParser) a.push('--reasoning-parser', sgParser);
  if (multi?.mode === 'native' && multi.nodes > 1) a.push('--dist-init-addr', multi.distInitAddr ?? '$DSD_HEAD_ADDR:5000', '--nnodes', String(multi.nodes), '--node-rank', multi.nodeRankExpr ?? '$SLURM_NODEID');
  a.push('--enable-metrics', '--host', host, '--port', String(k.port));
  a.push(...k.extraArgs);
  return a;
}

/** The engine command for a profile, as it would run on the host (simulator: `deepseek-deploy simulate … -- …`). */
export function engineArgv(p: Profile, form: 'serve' | 'image', multi?: MultiNodeContext, host?: string): string[] {
  return flavorOf(p) === 'vllm' ? vllmArgv(p, form, multi, host) : sglangArgv(p, multi, host);
}
