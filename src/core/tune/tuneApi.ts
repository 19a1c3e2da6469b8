import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadProfile } from '../launch/launchApi';
import { ProfileSchema, type Profile } from '../profiles/profileSchema';
import type { TuneSpec } from './tuneSpec';
import type { TuneCandidate } from './tuneResult';

/**
 * Entry of dist/tune.js, the tuning bundle the extension loads on first use (the tuner drives the launch pipeline and
 * the benchmark, so it is heavy): the spec parser, runTune, and what the results view's "Apply to profile" needs.
 */
export { runTune } from './runTune';
export { parseTuneSpecYaml } from './tuneSpec';
export { applyTunedProfile } from './applyToProfile';
export { loadProfile };

/**
 * The base profile of a spec: `base.profile` (a file relative to the spec), `base.preset` or `base.inline`, with the
 * spec's `host` override applied. `file` (absolute) is set only for a profile file: "Apply to profile" writes there.
 * @throws ProfileError (field + line) for a bad profile file, Error for an unknown preset or an unreadable file
 */
export async function loadTuneBase(spec: TuneSpec, specFile: string): Promise<{ profile: Profile; file?: string }> {
  let profile: Profile;
  let file: string | undefined;
  if (spec.base.profile !== undefined) {
    file = path.resolve(path.dirname(specFile), spec.base.profile);
    profile = loadProfile({ yaml: await readFile(file, 'utf8'), file });
  } else if (spec.base.preset !== undefined) profile = loadProfile({ preset: spec.base.preset });
  else profile = ProfileSchema.parse(spec.base.inline);
  return { profile: spec.host ? { ...profile, host: spec.host } : profile, file };
}

/**
 * The profile a candidate runs: the base with the candidate's search-space values (`params`, by spec key) applied.
 * `parallel` names one of the spec's layouts (its `name`, else its position "layout<i>"); `flags` entries
 * ("--block-size") replace or add that flag in knobs.extraArgs (true: bare flag, false: removed).
 * @throws Error when a value does not belong to the spec's search space
 */
export function profileForCandidate(spec: TuneSpec, base: Profile, candidate: Pick<TuneCandidate, 'id' | 'params'>): Profile {
  const knobs: Record<string, unknown> = { ...base.knobs };
  let parallel = { ...base.parallel };
  let extraArgs = [...base.knobs.extraArgs];
  const setFlag = (flag: string, v: string | number | boolean | null): void => {
    const i = extraArgs.indexOf(flag);
    const valued = i >= 0 && i + 1 < extraArgs.length && !extraArgs[i + 1].startsWith('--');
    if (i >= 0) extraArgs.splice(i, valued ? 2 : 1);
    if (v === true) extraArgs.push(flag);
    else if (v !== false && v !== null) extraArgs.push(flag, String(v));
  };
  for (const [key, v] of Object.entries(candidate.params)) {
    if (key === 'parallel') {
      const layouts = spec.search.parallel ?? [];
      const l = layouts.find((x, i) => (x.name ?? `layout${i}`) === v);
      if (!l) throw new Error(`${candidate.id}: parallel "${String(v)}" is not a layout of the spec`);
      parallel = { ...parallel, tp: l.tp, dp: l.dp, pp: l.pp, expertParallel: l.expertParallel, dpAttention: l.dpAttention, nodes: l.nodes };
    } else if (key === 'speculative') {
      const s = (spec.search.speculative ?? []).find((x) => (x === null ? 'none' : `${x.method}:${x.numSpeculativeTokens}`) === v || (x === null && v === null));
      if (s === undefined) throw new Error(`${candidate.id}: speculative "${String(v)}" is not in the spec`);
      setFlag('--speculative-config', s === null ? null : JSON.stringify({ method: s.method, num_speculative_tokens: s.numSpeculativeTokens }));
    } else if (key.startsWith('--')) setFlag(key, v);
    else if (['maxNumSeqs', 'maxNumBatchedTokens', 'gpuMemoryUtilization', 'kvCacheDtype', 'maxModelLen'].includes(key)) knobs[key] = v;
    else throw new Error(`${candidate.id}: unknown search key "${key}"`);
  }
  extraArgs = extraArgs.filter((a) => a !== '');
  return ProfileSchema.parse({ ...base, parallel, knobs: { ...knobs, extraArgs } });
}

/**
 * A small runnable spec against the simulator on this machine (what `deepseek-deploy tune --example` prints): two
 * max-num-seqs values × two token budgets, a short random workload and a p99 TTFT / TPOT SLO.
 */
export function exampleTuneSpecYaml(): string {
  return `# A tuning spec (DeepSeek: Tune Deployment): which serve settings meet the SLOs with the most goodput per GPU.
# This one searches the built-in simulator on this machine (no GPU); point base.profile at your own
# *.deepseek.yaml to tune a real deployment.
name: example-sim
base:
  inline:
    name: example-sim
    host: local
    engine: {kind: simulator, imitates: vllm}
    model: {id: deepseek-ai/DeepSeek-R1}
    parallel: {tp: 8}
    runtime: {kind: process}
gpus: 8xH200-141GB
simulator: {speed: 1, startupSpeed: 1000}
search:
  maxNumSeqs: [16, 64]
  maxNumBatchedTokens: [2048, 8192]
workload: {inputLen: 512, outputLen: 64, promptsPerUnitLoad: 4, warmups: 1}
load: {kind: concurrency, start: 2, max: 64, maxPoints: 4}
slo:
  - {metric: ttft, stat: p99, maxMs: 2000}
  - {metric: tpot, stat: p99, maxMs: 60}
objective: goodputPerGpu
pricePerGpuHour: 2.5
budget: {maxWallTimeS: 600}
`;
}
