import { parseProfileYaml } from '../profiles/profileYaml';
import { ProfileSchema, profileJsonSchema, type Profile } from '../profiles/profileSchema';
import { PRESETS, type Preset } from '../profiles/presets';
import { exposureOf, generateApiKey } from '../runtimes/launchPlan';

/**
 * Entry of dist/launch.js, the launch bundle the extension loads on first use (zod, yaml and the pipeline stay out of
 * activation): profiles and presets in, the one launch pipeline (launchPipeline.ts) out.
 */
export { prepareLaunch, startLaunch, attachServer, recordHandle, listManagedServers, openHost, gpuSpecFromProbe } from './launchPipeline';
export { quickSimulatorLabel, quickSimulatorProfile } from './quickSimulator';
export { ServerRecords } from './serverRecords';
export { PreflightError } from './preflight';
export { DeploymentError } from './deployment';
export { apiKeySecretNameProblem, apiKeySecretNamesIn } from '../profiles/apiKeySecretNames';

export function listPresets(): readonly Preset[] {
  return PRESETS;
}

/** Parses a profile file's text or a preset id; throws ProfileError (field + line) for bad profiles. */
export function loadProfile(source: { yaml: string; file: string } | { preset: string }): Profile {
  if ('preset' in source) {
    const p = PRESETS.find((x) => x.id === source.preset);
    if (!p) throw new Error(`unknown preset "${source.preset}"`);
    return ProfileSchema.parse(p.profile);
  }
  return parseProfileYaml(source.yaml, source.file);
}

/** The JSON Schema editors use for *.deepseek.yaml completion (written to dist/ at build time). */
export function profileSchemaJson(): Record<string, unknown> {
  return { title: 'DeepSeek Deploy profile', ...profileJsonSchema() };
}

/** A random API key when the profile's port is reachable from other machines and it names none (else undefined). */
export function generatedServerKey(profile: Profile): string | undefined {
  return !profile.knobs.apiKeySecret && exposureOf(profile).reachableByOthers ? generateApiKey() : undefined;
}
