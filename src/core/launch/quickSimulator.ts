import { ProfileSchema, type Profile } from '../profiles/profileSchema';
import { findModel } from '../plan/catalog';
import { flavorOf } from '../engines/engineArgv';

/**
 * The quick simulator ("Simulator on This machine"), as a built-in profile: engine simulator imitating vLLM or SGLang,
 * runtime process, host local, on the given port (picked free by the caller, so the command shown is the one that
 * runs). It goes through the same pipeline and readiness as every other launch. The reasoning parser follows the
 * model catalog (DeepSeek-V3 has no reasoning: no --reasoning-parser).
 */
export function quickSimulatorProfile(o: { flavor: 'vllm' | 'sglang'; model: string; port: number }): Profile {
  return ProfileSchema.parse({
    name: `quick-sim-${o.flavor}-${o.port}`,
    description: 'Simulator on This machine (no GPU)',
    host: 'local',
    engine: { kind: 'simulator', imitates: o.flavor },
    model: { id: o.model },
    parallel: { tp: 8 },
    knobs: { port: o.port, reasoningParser: (findModel(o.model)?.reasoning ?? 'always') !== 'none' },
    runtime: { kind: 'process' },
  });
}

/**
 * The endpoint label of a quick simulator profile, e.g. "DeepSeek-R1 (vLLM simulator)"; undefined for any other
 * profile. The same at launch and when a window finds the server running again (its profile is in the server record).
 */
export function quickSimulatorLabel(p: Profile): string | undefined {
  if (p.engine.kind !== 'simulator' || !/^quick-sim-(vllm|sglang)-\d+$/.test(p.name)) return undefined;
  return `${p.model.id.split('/').pop() ?? p.model.id} (${flavorOf(p) === 'sglang' ? 'SGLang' : 'vLLM'} simulator)`;
}
