import type { Profile } from '../profiles/profileSchema';
import { findModel } from './catalog';
import { compareVersions } from '../util/versions';

export interface VersionVerdict {
  /** The launch must not go ahead: the engine release cannot serve the model. */
  readonly refuse: boolean;
  /** Why, for the user ("DeepSeek-V4-Flash needs vLLM ≥ 0.20.0; the profile runs 0.9.0"). */
  readonly reason?: string;
  /** The release the verdict is about, when known. */
  readonly version?: string;
}

/** The engine release a profile runs: its `engine.version`, else the tag of its image when that is a version. */
export function profileEngineRelease(p: Profile): string | undefined {
  if (p.engine.version) return p.engine.version.replace(/^v/, '');
  const tag = p.engine.image?.split(':').pop();
  return tag && /^v?\d+\.\d+(\.\d+)?/.test(tag) ? tag.replace(/^v/, '') : undefined;
}

/**
 * Checked before launch: a vLLM release older than the model's first supporting one (reference §3.2: V3.2 0.18,
 * V4 0.20, DSpark checkpoints 0.25, V4-Flash-Vision 0.29, V4.1 0.30) is refused with the reason. Profiles with no
 * version (a `latest` image) and the simulator are not gated here (the simulator gates itself, as the engine would).
 */
export function checkEngineVersion(p: Profile): VersionVerdict {
  const m = findModel(p.model.id);
  const flavor = p.engine.kind === 'simulator' ? undefined : p.engine.kind;
  const version = profileEngineRelease(p);
  if (!m || !flavor || !version) return { refuse: false, version };
  const min = flavor === 'vllm' ? m.minVersion.vllm : m.minVersion.sglang;
  if (min && compareVersions(version, min) < 0) {
    return { refuse: true, version, reason: `${m.label} (${m.architecture}) needs ${flavor === 'vllm' ? 'vLLM' : 'SGLang'} ≥ ${min}; the profile runs ${version}. Set engine.version (or the image) to ${min} or later` };
  }
  return { refuse: false, version };
}
