import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from './cliArgs';
import { acceptNewHostKey } from './acceptNewHostKey';
import { defaultTrustStorePath } from '../core/ssh/trustStorePath';
import * as os from 'node:os';
import type { RemoteHosts, RemoteHostsOptions } from '../core/ssh/remoteHosts';
import type { SshTarget } from '../core/ssh/sshTarget';
import { resolveTarget } from '../core/ssh/resolveTarget';
import { Deployment, type CommandRunner, type DeploymentError } from '../core/launch/deployment';
import { localRunner, sshRunner } from '../core/launch/runners';
import { probeLocalHost } from '../core/hosts/localProbe';
import type { HostProbe } from '../core/hosts/hostModel';
import { gpuSpecFromProbe } from '../core/launch/launchApi';
import { parseProfileYaml, ProfileError } from '../core/profiles/profileYaml';
import { ProfileSchema, type Profile } from '../core/profiles/profileSchema';
import { PRESETS } from '../core/profiles/presets';
import { exposureOf, generateApiKey, planToScript, renderLaunch } from '../core/runtimes/launchPlan';
import { stringify } from 'yaml';
import { writeFileNoFollow } from '../core/security/safeWrite';
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
  for (const p of PRESETS) process.stdout.write(`${p.id.padEnd(36)} ${p.gpus.padEnd(14)} ${p.seed ? `seed ${p.seed}` : 'recipe '}  ${p.title}${p.renderOnly ? ' [render only]' : ''}\n`);
  return 0;
}

export function loadProfileArg(file: string | undefined, preset: string | undefined): Profile {
  if (preset !== undefined) {
    const p = PRESETS.find((x) => x.id === preset);
    if (!p) throw new Error(`unknown preset "${preset}"; run "deepseek-deploy presets"`);
    return ProfileSchema.parse(p.profile);
  }
  if (!file) throw new Error('give a profile file or --preset ID');
  return parseProfileYaml(fs.readFileSync(file, 'utf8'), file);
}

export function runRender(argv: string[]): number {
  const args = parseArgs(argv, { flags: ['--yaml'], values: ['--preset', '--gpus'], positionals: 1 });
  if ('error' in args) {
    process.stderr.write(`deepseek-deploy render: ${args.error}\n\n${RENDER_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(RENDER_HELP);
    return 0;
  }
  const [file] = args.positionals;
  const preset = args.values.get('--preset');
  const yaml = args.flags.has('--yaml');
  const gpus = args.values.get('--gpus');
  if (!file && preset === undefined) {
    process.stderr.write(`deepseek-deploy render: give a profile file or --preset ID\n\n${RENDER_HELP}`);
    return 2;
  }
  try {
    const p = yaml && preset !== undefined ? PRESETS.find((x) => x.id === preset) : undefined;
    if (p) {
      process.stdout.write(`# ${p.title} (seed ${p.seed}, ${p.gpus})\n${stringify(p.profile)}`);
      return 0;
    }
    const profile = loadProfileArg(file, preset);
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

/**
 * The server API key for a launch from the CLI: knobs.apiKeySecret names it, read from $DEEPSEEK_DEPLOY_SECRET_<NAME>
 * (the CLI has no SecretStorage); where the port is reachable from other machines and none is named, a random one.
 * Throws when the named variable is unset.
 */
export function resolveServerApiKey(profile: Profile, env: NodeJS.ProcessEnv): string | undefined {
  const name = profile.knobs.apiKeySecret;
  if (name) {
    const v = env[`DEEPSEEK_DEPLOY_SECRET_${name}`];
    if (!v) throw new Error(`knobs.apiKeySecret is "${name}": set $DEEPSEEK_DEPLOY_SECRET_${name} to the server's API key`);
    return v;
  }
  return exposureOf(profile).reachableByOthers ? generateApiKey() : undefined;
}

export const DEPLOY_HELP = `usage: deepseek-deploy launch PROFILE | --preset ID [--host HOST] [--hf-token-env VAR] [--timeout-min N]
                              [--ssh-config FILE] [--known-hosts FILE] [--accept-new] [--detach]
       deepseek-deploy logs PROFILE | --preset ID [--host HOST] [--no-follow]
       deepseek-deploy stop PROFILE | --preset ID [--host HOST]

HOST is "local", an ~/.ssh/config alias, or user@host[:port] (default: the profile's host). launch writes the HF token
(from $HF_TOKEN, or --hf-token-env VAR) to the host's ~/.cache/huggingface/token over SSH stdin, checks the memory fit
against the host's GPUs, starts the server, shows progress, and prints the local URL once /v1/models and a 1-token
request answer. knobs.apiKeySecret NAME: the server's API key comes from $DEEPSEEK_DEPLOY_SECRET_NAME (never on a
command line). It then keeps the SSH tunnel open until Ctrl-C (the server keeps running); --detach exits at once.
`;

interface Remote { createRemoteHosts(o: RemoteHostsOptions): RemoteHosts }

export async function runDeploymentCommand(cmd: 'launch' | 'stop' | 'logs', argv: string[], loadRemote: () => Remote): Promise<number> {
  const args = parseArgs(argv, {
    flags: ['--detach', '--no-follow', '--accept-new'],
    values: ['--preset', '--host', '--hf-token-env', '--timeout-min', '--ssh-config'],
    repeatable: ['--known-hosts'],
    positionals: 1,
  });
  if ('error' in args) {
    process.stderr.write(`deepseek-deploy ${cmd}: ${args.error}\n\n${DEPLOY_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(DEPLOY_HELP);
    return 0;
  }
  const [file] = args.positionals;
  const preset = args.values.get('--preset');
  const host = args.values.get('--host');
  const tokenEnv = args.values.get('--hf-token-env') ?? 'HF_TOKEN';
  const timeoutMin = Number(args.values.get('--timeout-min') ?? 45);
  const detach = args.flags.has('--detach');
  const follow = !args.flags.has('--no-follow');
  const acceptNew = args.flags.has('--accept-new');
  const knownHosts = args.lists.get('--known-hosts') ?? [];
  const sshConfig = args.values.get('--ssh-config');
  let profile: Profile;
  try {
    profile = loadProfileArg(file, preset);
  } catch (e) {
    process.stderr.write(e instanceof ProfileError ? `${e.message}\n` : `deepseek-deploy ${cmd}: ${(e as Error).message}\n`);
    return 2;
  }
  const where = host ?? profile.host;
  const err = (s: string): boolean => process.stderr.write(s);
  let remote: RemoteHosts | undefined;
  let runner: CommandRunner;
  let reach: (port: number, host: string) => Promise<string>;
  let probeGpus: () => Promise<HostProbe>;
  let resolved: SshTarget | { kind: 'local' };
  try {
    resolved = resolveTarget(where, { sshConfigFile: sshConfig });
  } catch (e) {
    err(`deepseek-deploy ${cmd}: ${(e as Error).message}\n`);
    return 2;
  }
  if ('kind' in resolved) {
    runner = localRunner();
    reach = (port) => Promise.resolve(`http://127.0.0.1:${port}`);
    probeGpus = () => probeLocalHost();
  } else {
    remote = loadRemote().createRemoteHosts({
      knownHostsFiles: knownHosts.length ? knownHosts : undefined,
      trustStorePath: defaultTrustStorePath(),
      confirmHostKey: acceptNewHostKey(acceptNew, err),
      prompts: { passphrase: () => Promise.resolve(undefined) },
    });
    const r = remote;
    const target = resolved;
    runner = sshRunner(r.pool, target);
    reach = async (port, host) => `http://127.0.0.1:${(await r.tunnels.openTunnel(target, host, port)).localPort}`;
    probeGpus = () => r.probe(target);
  }
  const token = process.env[tokenEnv] || undefined;
  let apiKey: string | undefined;
  if (cmd === 'launch') {
    try {
      apiKey = resolveServerApiKey(profile, process.env);
    } catch (e) {
      err(`deepseek-deploy launch: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const plan = renderLaunch(profile, { hfToken: cmd === 'launch' ? token : undefined, apiKey });
  for (const w of plan.warnings) err(`warning: ${w}\n`);
  try {
    if (cmd === 'stop') {
      for (const s of plan.stop) {
        const r = await runner.exec(s.argv, { timeoutMs: 60_000 });
        if (r.code !== 0) err(`${s.description}: exit ${r.code ?? r.signal ?? '?'} ${r.stderr.trim()}\n`);
      }
      err(`stopped ${profile.name} on ${where}\n`);
      return 0;
    }
    if (cmd === 'logs') {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const argvLogs = follow ? plan.logs(0) : plan.logSnapshot;
      await runner.exec(argvLogs, { onStdout: (s) => process.stdout.write(s), onStderr: (s) => process.stderr.write(s), timeoutMs: follow ? 0 : 60_000, signal: ac.signal });
      return 0;
    }
    // launch
    try {
      const probe = await probeGpus();
      const spec = gpuSpecFromProbe(probe);
      if (spec) {
        const v = checkProfileFit(profile, spec);
        err(`memory fit: ${v.summary}\n`);
        if (v.refuse) return 1;
      } else err(`memory fit: not checked (${probe.gpuError ?? 'no GPUs found on the host'})\n`);
    } catch (e) {
      err(`memory fit: not checked (${(e as Error).message})\n`);
    }
    if (!token && profile.engine.kind !== 'simulator') err(`note: $${tokenEnv} is not set; gated or private models will fail to download\n`);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    let lastPct = -1;
    const dep = new Deployment(plan, runner, {
      onState: (s, d) => err(`[${profile.name}] ${s}${d ? ` ${d}` : ''}\n`),
      onEvent: (e) => {
        if (e.kind === 'progress' && (e.percent === 100 || e.percent - lastPct >= 10 || e.percent < lastPct)) {
          lastPct = e.percent;
          err(`[${profile.name}] ${e.phase === 'weights' ? 'loading weights' : 'capturing CUDA graphs'} ${e.percent}% (${e.done}/${e.total}${e.eta ? `, eta ${e.eta}` : ''})\n`);
        }
      },
    });
    let url: string;
    try {
      url = await dep.start({ reach, timeoutMs: timeoutMin * 60_000, signal: ac.signal, apiKey });
    } catch (e) {
      const d = e as DeploymentError;
      err(`[${profile.name}] FAILED: ${d.message}\n${d.remedy ? `  remedy: ${d.remedy}\n` : ''}${d.suggestedMaxModelLen ? `  suggested: --max-model-len ${d.suggestedMaxModelLen} (knobs.maxModelLen)\n` : ''}${d.lastLines?.length ? `  last log lines:\n${d.lastLines.map((l) => `    ${l}`).join('\n')}\n` : ''}`);
      return 1;
    }
    process.stdout.write(`${url}\n`);
    if (apiKey && !profile.knobs.apiKeySecret) {
      // Kept for chat/bench (OPENAI_API_KEY=$(cat FILE)) in a 0600 file of ours, never printed.
      const dir = path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'deepseek-deploy', 'api-keys');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const keyFile = path.join(dir, `${profile.name}.key`);
      writeFileNoFollow(keyFile, apiKey, 0o600);
      err(`[${profile.name}] the server requires an API key (its port is reachable from other machines): a random one is in ${keyFile}; use OPENAI_API_KEY="$(cat ${keyFile})". knobs.apiKeySecret chooses your own.\n`);
    }
    if (detach || where === 'local') return 0;
    err(`[${profile.name}] tunnel open at ${url}; Ctrl-C closes it (the server keeps running; "deepseek-deploy stop" stops it)\n`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    return 0;
  } finally {
    remote?.dispose();
  }
}
