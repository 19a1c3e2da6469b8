import { parseProfileYaml } from '../profiles/profileYaml';
import { ProfileSchema, profileJsonSchema, type Profile } from '../profiles/profileSchema';
import { PRESETS, type Preset } from '../profiles/presets';
import { planToScript, renderLaunch, type LaunchPlan, type RenderOptions } from '../runtimes/launchPlan';
import { checkProfileFit, type ProfileFit } from '../plan/profileFit';
import { GPU_CATALOG, type GpuSpec } from '../plan/catalog';
import type { HostProbe } from '../hosts/hostModel';
import { Deployment, type CommandRunner, type DeploymentEvents } from './deployment';
import { localRunner, sshRunner } from './runners';
import type { SshPool } from '../ssh/sshPool';
import type { SshTarget } from '../ssh/sshTarget';

/**
 * The launch flow's entry for the extension (its own lazily loaded bundle: zod and yaml stay out of activation):
 * profile in → validated profile, the exact script, the planner's verdict → a Deployment to start.
 */
export interface PreparedLaunch {
  readonly profile: Profile;
  readonly plan: LaunchPlan;
  /** The rendered script shown before anything runs (the token is never in it). */
  readonly script: string;
  readonly fit: ProfileFit | undefined;
}

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

/**
 * GPUs found by the host probe, as the planner's spec (undefined when there are none or they are unknown). On a host
 * with mixed models the smallest GPU bounds what fits (tensor parallelism splits evenly); a total nvidia-smi reports
 * as "[N/A]" falls back to the catalog's figure.
 */
export function gpuSpecFromProbe(probe: HostProbe | undefined): GpuSpec | undefined {
  if (!probe?.gpus.length) return undefined;
  const catalog = (name: string): GpuSpec['model'] | undefined => GPU_CATALOG.find((g) => g.name === name) ?? GPU_CATALOG.find((g) => name.toUpperCase().includes(g.id.split('-')[0]));
  const sized = probe.gpus.map((g) => {
    const model = catalog(g.name);
    return model ? { ...model, memoryMiB: g.memoryTotalMiB ?? model.memoryMiB } : undefined;
  });
  if (sized.some((m) => !m)) return undefined;
  const smallest = sized.reduce((a, b) => (b!.memoryMiB < a!.memoryMiB ? b : a));
  return { count: probe.gpus.length, model: smallest! };
}

export function prepareLaunch(profile: Profile, probe: HostProbe | undefined, o: RenderOptions): PreparedLaunch {
  // Containers use the hub cache HF tooling on the host uses (the probe resolved it there).
  const plan = renderLaunch(profile, { ...o, hfHubCache: o.hfHubCache ?? probe?.hfCachePath });
  const spec = gpuSpecFromProbe(probe);
  return { profile, plan, script: planToScript(plan), fit: spec ? checkProfileFit(profile, spec) : undefined };
}

export function createDeployment(plan: LaunchPlan, runner: CommandRunner, events: DeploymentEvents): Deployment {
  return new Deployment(plan, runner, events);
}

/** Where the deployment's commands run: this machine, or an SSH host over its pooled connection. */
export function runnerFor(remote?: { pool: SshPool; target: SshTarget }): CommandRunner {
  return remote ? sshRunner(remote.pool, remote.target) : localRunner();
}

/** The JSON Schema editors use for *.deepseek.yaml completion (written to dist/ at build time). */
export function profileSchemaJson(): Record<string, unknown> {
  return { title: 'DeepSeek Deploy profile', ...profileJsonSchema() };
}
