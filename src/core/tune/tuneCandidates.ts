import { flavorOf } from '../engines/engineArgv';
import { checkProfileFit } from '../plan/profileFit';
import type { GpuSpec } from '../plan/catalog';
import { ProfileSchema, type Profile } from '../profiles/profileSchema';
import type { TuneSpec } from './tuneSpec';

type Layout = NonNullable<TuneSpec['search']['parallel']>[number];
type Speculative = NonNullable<NonNullable<TuneSpec['search']['speculative']>[number]>;
type ParamValue = string | number | boolean | null;

/** A configuration of the search space before planning: its values and the profile that would run it. */
export interface PlannedCandidate {
  readonly id: string;
  readonly params: Record<string, ParamValue>;
  readonly profile: Profile;
  readonly gpus: number;
  readonly fits: boolean;
  readonly fitReason: string;
}

/** "tp8", "dp8-ep", "tp4-dp2-ep": a layout's label when the spec gives it no name. */
export const layoutLabel = (l: Layout): string => l.name ?? [l.tp > 1 || l.dp === 1 ? `tp${l.tp}` : '', l.dp > 1 ? `dp${l.dp}` : '', l.pp > 1 ? `pp${l.pp}` : '', l.expertParallel ? 'ep' : '', l.dpAttention ? 'dpattn' : '', l.nodes > 1 ? `${l.nodes}nodes` : ''].filter(Boolean).join('-');

/**
 * The engine words for speculative decoding: vLLM's --speculative-config JSON (vllm/config/speculative.py: method,
 * num_speculative_tokens), SGLang's --speculative-algorithm/-num-steps/-eagle-topk/-num-draft-tokens (server_args.py;
 * draft tokens = steps + 1 with top-k 1, as SGLang's DeepSeek MTP recipe).
 */
export function speculativeArgs(flavor: 'vllm' | 'sglang', s: Speculative): string[] {
  if (flavor === 'vllm') return ['--speculative-config', JSON.stringify({ method: s.method, num_speculative_tokens: s.numSpeculativeTokens })];
  const algo = /mtp|nextn/i.test(s.method) ? 'NEXTN' : s.method.toUpperCase();
  return ['--speculative-algorithm', algo, '--speculative-num-steps', String(s.numSpeculativeTokens), '--speculative-eagle-topk', '1', '--speculative-num-draft-tokens', String(s.numSpeculativeTokens + 1)];
}

/** extraArgs without `flag` (bare, "--flag=v" or "--flag v" forms), so a searched flag replaces the base's. */
function withoutFlag(args: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) {
      if (i + 1 < args.length && !args[i + 1].startsWith('--')) i++;
      continue;
    }
    if (args[i].startsWith(`${flag}=`)) continue;
    out.push(args[i]);
  }
  return out;
}

const SPEC_FLAGS = ['--speculative-config', '--speculative-algorithm', '--speculative-num-steps', '--speculative-eagle-topk', '--speculative-num-draft-tokens'];

/**
 * Every configuration of the search space (the cartesian product, in the spec's key order: parallel, maxNumSeqs,
 * maxNumBatchedTokens, gpuMemoryUtilization, kvCacheDtype, maxModelLen, speculative, flags) as a profile named
 * `<spec name>-c<i>`, each judged by the planner on `gpusPerNode` (checkProfileFit). An unset key keeps the base's value.
 * Throws when a combination is not a valid profile (the message names the candidate).
 */
export function planCandidates(spec: TuneSpec, base: Profile, gpusPerNode: GpuSpec): PlannedCandidate[] {
  const s = spec.search;
  type Dim = { key: string; values: ReadonlyArray<unknown>; label: (v: unknown) => ParamValue; apply: (p: Profile, v: unknown) => Profile };
  const dims: Dim[] = [];
  const knob = (key: 'maxNumSeqs' | 'maxNumBatchedTokens' | 'gpuMemoryUtilization' | 'kvCacheDtype' | 'maxModelLen', values: ReadonlyArray<unknown> | undefined): void => {
    if (values) dims.push({ key, values, label: (v) => v as ParamValue, apply: (p, v) => ({ ...p, knobs: { ...p.knobs, [key]: v } }) });
  };
  if (s.parallel) dims.push({ key: 'parallel', values: s.parallel, label: (v) => layoutLabel(v as Layout), apply: (p, v) => { const { name: _n, ...l } = v as Layout; void _n; return { ...p, parallel: { ...p.parallel, ...l } }; } });
  knob('maxNumSeqs', s.maxNumSeqs);
  knob('maxNumBatchedTokens', s.maxNumBatchedTokens);
  knob('gpuMemoryUtilization', s.gpuMemoryUtilization);
  knob('kvCacheDtype', s.kvCacheDtype);
  knob('maxModelLen', s.maxModelLen);
  if (s.speculative) {
    dims.push({
      key: 'speculative',
      values: s.speculative,
      label: (v) => (v ? `${(v as Speculative).method}×${(v as Speculative).numSpeculativeTokens}` : null),
      apply: (p, v) => {
        let args = p.knobs.extraArgs;
        for (const f of SPEC_FLAGS) args = withoutFlag(args, f);
        return { ...p, knobs: { ...p.knobs, extraArgs: v ? [...args, ...speculativeArgs(flavorOf(p), v as Speculative)] : args } };
      },
    });
  }
  for (const [flag, values] of Object.entries(s.flags ?? {})) {
    dims.push({
      key: flag,
      values,
      label: (v) => v as ParamValue,
      apply: (p, v) => {
        const args = withoutFlag(p.knobs.extraArgs, flag);
        return { ...p, knobs: { ...p.knobs, extraArgs: v === false ? args : v === true ? [...args, flag] : [...args, flag, String(v)] } };
      },
    });
  }
  let combos: Array<{ params: Record<string, ParamValue>; profile: Profile }> = [{ params: {}, profile: base }];
  for (const d of dims) combos = combos.flatMap((c) => d.values.map((v) => ({ params: { ...c.params, [d.key]: d.label(v) }, profile: d.apply(c.profile, v) })));
  return combos.map((c, i) => {
    const id = `c${i}`;
    const parsed = ProfileSchema.safeParse({ ...c.profile, name: `${spec.name}-${id}`, ...(spec.host ? { host: spec.host } : {}) });
    if (!parsed.success) throw new Error(`candidate ${id} (${JSON.stringify(c.params)}) is not a valid profile: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    const profile = parsed.data;
    const gpus = profile.parallel.tp * profile.parallel.dp * profile.parallel.pp;
    const fit = checkProfileFit(profile, gpusPerNode);
    return { id, params: c.params, profile, gpus, fits: !fit.refuse, fitReason: fit.summary };
  });
}
