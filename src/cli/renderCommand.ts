import * as fs from 'node:fs';
import { parseProfileYaml, ProfileError } from '../core/profiles/profileYaml';
import { ProfileSchema } from '../core/profiles/profileSchema';
import { PRESETS } from '../core/profiles/presets';
import { planToScript, renderLaunch } from '../core/runtimes/launchPlan';
import { stringify } from 'yaml';
import { checkProfileFit } from '../core/plan/profileFit';
import { parseGpuSpec } from '../core/plan/catalog';

export const RENDER_HELP = `usage: deepseek-deploy render PROFILE.deepseek.yaml | --preset ID [--gpus 8xH100-80GB] [--yaml]
       deepseek-deploy presets

render   prints the exact remote script a launch runs (token file step, docker/compose/sbatch/background process,
         log follow, stop); the HF token itself is never printed.
         --gpus checks the memory fit first (GPUs per node) and refuses a certain misfit (exit 1) unless the
         profile sets allowMisfit. --yaml with --preset prints the preset as a profile file to start from.
presets  lists the built-in profiles that reproduce the seed deployments.
`;

export function runPresets(): number {
  for (const p of PRESETS) process.stdout.write(`${p.id.padEnd(36)} ${p.gpus.padEnd(14)} seed ${p.seed}  ${p.title}\n`);
  return 0;
}

export function runRender(argv: string[]): number {
  let file: string | undefined;
  let preset: string | undefined;
  let yaml = false;
  let gpus: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(RENDER_HELP);
      return 0;
    } else if (a === '--preset') preset = argv[++i];
    else if (a === '--yaml') yaml = true;
    else if (a === '--gpus') gpus = argv[++i];
    else if (!a.startsWith('-') && !file) file = a;
    else {
      process.stderr.write(`deepseek-deploy render: unknown option ${a}\n\n${RENDER_HELP}`);
      return 2;
    }
  }
  try {
    let profile;
    if (preset !== undefined) {
      const p = PRESETS.find((x) => x.id === preset);
      if (!p) throw new Error(`unknown preset "${preset}"; run "deepseek-deploy presets"`);
      if (yaml) {
        process.stdout.write(`# ${p.title} (seed ${p.seed}, ${p.gpus})\n${stringify(p.profile)}`);
        return 0;
      }
      profile = ProfileSchema.parse(p.profile);
    } else if (file) {
      profile = parseProfileYaml(fs.readFileSync(file, 'utf8'), file);
    } else {
      process.stderr.write(`deepseek-deploy render: give a profile file or --preset ID\n\n${RENDER_HELP}`);
      return 2;
    }
    if (gpus) {
      const verdict = checkProfileFit(profile, parseGpuSpec(gpus));
      process.stdout.write(`# memory fit: ${verdict.summary}\n`);
      if (verdict.refuse) return 1;
    }
    process.stdout.write(planToScript(renderLaunch(profile, { hfToken: process.env.HF_TOKEN ? 'redacted' : undefined })));
    return 0;
  } catch (e) {
    process.stderr.write(e instanceof ProfileError ? `${e.message}\n` : `deepseek-deploy render: ${(e as Error).message}\n`);
    return e instanceof ProfileError ? 2 : 1;
  }
}
