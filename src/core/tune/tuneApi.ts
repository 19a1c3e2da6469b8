import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadProfile } from '../launch/launchApi';
import { ProfileSchema, type Profile } from '../profiles/profileSchema';
import type { TuneSpec } from './tuneSpec';
import type { TuneCandidate } from './tuneResult';
import { planCandidates } from './tuneCandidates';
import { parseGpuSpec } from '../plan/catalog';

/**
 * Entry of dist/tune.js, the tuning bundle the extension loads on first use (the tuner drives the launch pipeline and
 * the benchmark, so it is heavy): the spec parser, runTune, and what the results view's "Apply to profile" needs.
 */
export { runTune } from './runTune';
export { parseTuneSpecYaml } from './tuneSpec';
export { applyTunedProfile } from './applyToProfile';
export { TUNE_EXAMPLE } from './tuneExample';
export { loadProfile };

/**
 * The base profile of a spec: `base.profile` (a file relative to the spec), `base.preset` or `base.inline` (the spec's
 * `host` override is applied per candidate by planCandidates). `file` (absolute) is set only for a profile file:
 * "Apply to profile" writes there. Same rules as the CLI's (src/cli/tuneCommand.ts loadBase).
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
  return { profile, file };
}

/**
 * The profile a saved candidate runs, planned again from the spec and the (current) base profile by the tuner's own
 * expansion (planCandidates), matched by its search-space values, so "Apply to profile" writes exactly what was
 * launched for it. The planner's GPUs only decide fit, not the profile: the spec's, else the simulator's default.
 * @throws Error when the spec's search space no longer contains those values
 */
export function profileForCandidate(spec: TuneSpec, base: Profile, candidate: Pick<TuneCandidate, 'id' | 'params'>): Profile {
  const planned = planCandidates(spec, base, parseGpuSpec(spec.gpus ?? '8xH200-141GB'));
  const same = planned.find((c) => JSON.stringify(c.params) === JSON.stringify(candidate.params));
  if (!same) throw new Error(`configuration ${candidate.id} (${JSON.stringify(candidate.params)}) is no longer in the spec's search space: the spec changed since the run`);
  return same.profile;
}
