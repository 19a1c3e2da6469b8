import * as fs from 'node:fs';
import { parseArgs } from './cliArgs';
import * as path from 'node:path';
import { acceptNewHostKey } from './acceptNewHostKey';
import { defaultTrustStorePath } from '../core/ssh/trustStorePath';
import type { RemoteHosts, RemoteHostsOptions } from '../core/ssh/remoteHosts';
import type { DeploymentError } from '../core/launch/deployment';
import { PreflightError } from '../core/launch/preflight';
import { listManagedServers, prepareLaunch, recordHandle, startLaunch, type LaunchHandle, type PipelineDeps } from '../core/launch/launchPipeline';
import { serverId, ServerRecords, type ServerRecord } from '../core/launch/serverRecords';
import { HostsList } from '../core/hosts/hostsList';
import { deepseekConfigDir } from '../core/util/configDir';
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
                              [--force] [--pick-free-gpus] [--startup-speed F] [--ssh-config FILE] [--known-hosts FILE] [--accept-new] [--detach]
       deepseek-deploy logs    PROFILE | ID [--host HOST] [--no-follow]
       deepseek-deploy stop    PROFILE | ID [--host HOST]
       deepseek-deploy restart PROFILE | ID [--host HOST]
       deepseek-deploy ps [--host HOST] [--json]

HOST is "local", an ~/.ssh/config alias, or user@host[:port] (default: the profile's host); the extension resolves a
profile's host the same way. ID is what "ps" lists (HOST/PROFILE-NAME). launch runs the one launch pipeline: host →
probe → pre-flight (GPUs free, docker daemon and group, engine binary, port, weights and disk) → memory fit → the exact
command → start → follow the log → ready (ready line, /v1/models answering 200, a 1-token request) → URL. Refusals name
a remedy; --force launches despite the overridable ones (busy GPUs, a misfit, disk space); --pick-free-gpus uses only
the free GPUs when some are busy. The HF token (from $HF_TOKEN, or --hf-token-env VAR) goes to the host's
~/.cache/huggingface/token over stdin. knobs.apiKeySecret NAME: the server's API key comes from
$DEEPSEEK_DEPLOY_SECRET_NAME (never on a command line); where the port is reachable from other machines and no
secret is named, a random key is generated and kept in a 0600 file under <config dir>/api-keys. After launch the SSH tunnel stays open until Ctrl-C (the server keeps running);
--detach exits at once. Runtime kubernetes: kubectl and helm run on HOST (this machine's kubeconfig, or a jump box);
the values and the exact \`helm upgrade --install\` are printed before it runs, the HF token goes into a Secret from
stdin, pod phase and events explain a wait (Pending: the scheduler's reason), the endpoint is a kubectl port-forward
on 127.0.0.1 kept open until Ctrl-C; stop = helm uninstall + the Secrets. --startup-speed scales the simulator's start-up (simulator profiles). ps lists the servers we started that run on this machine and on every host of
${path.join('<config dir>', 'hosts.json')} (the extension's Add Host writes it) and of servers.json; --json prints
[{id, host, runtime, profile, engine, model, state, url, startedAt}].
`;

export interface Remote { createRemoteHosts(o: RemoteHostsOptions): RemoteHosts }

const SPEC = {
  flags: ['--detach', '--no-follow', '--accept-new', '--force', '--pick-free-gpus', '--json'],
  values: ['--preset', '--host', '--hf-token-env', '--timeout-min', '--ssh-config', '--startup-speed'],
  repeatable: ['--known-hosts'],
  positionals: 1,
} as const;

/** The pipeline's dependencies for the CLI: our own dist/cli.js for the simulator, SSH without prompts. */
export function cliDeps(args: { acceptNew: boolean; knownHosts: readonly string[]; sshConfig?: string }, loadRemote: () => Remote, disposers: Array<() => void>): PipelineDeps {
  let remote: RemoteHosts | undefined;
  const err = (s: string): boolean => process.stderr.write(s);
  return {
    sshConfigFile: args.sshConfig,
    remote: () => {
      if (!remote) {
        const r = loadRemote().createRemoteHosts({
          knownHostsFiles: args.knownHosts.length ? args.knownHosts : undefined,
          trustStorePath: defaultTrustStorePath(),
          confirmHostKey: acceptNewHostKey(args.acceptNew, err),
          prompts: { passphrase: () => Promise.resolve(undefined) },
        });
        remote = r;
        disposers.push(() => r.dispose());
      }
      return remote;
    },
    // Run from a clone or a global install alike: this very Node and this very dist/cli.js.
    localSimulator: { command: [process.execPath, path.join(__dirname, 'cli.js')] },
    simulatorFiles: () => Promise.resolve(['cli.js', 'simulator.js'].map((name) => ({ name, content: fs.readFileSync(path.join(__dirname, name), 'utf8') }))),
    records: new ServerRecords(),
    launchedBy: 'cli',
    // The chart ships next to dist/ (charts/deepseek-deploy), for the kubernetes runtime.
    chartDir: path.join(__dirname, '..', 'charts', 'deepseek-deploy'),
  };
}

/** A positional that names a recorded server (an id from `ps`), or else a profile file. */
function recordOrProfile(arg: string | undefined, preset: string | undefined, host: string | undefined, records: ServerRecords): { record: ServerRecord } | { profile: Profile } {
  if (arg && preset === undefined && !fs.existsSync(arg)) {
    const r = records.get(arg);
    if (r) return { record: r };
    if (/\//.test(arg) && !/\.ya?ml$/.test(arg)) throw new Error(`no server "${arg}" in ${records.file}; "deepseek-deploy ps" lists them`);
  }
  const profile = loadProfileArg(arg, preset);
  const id = serverId(host ?? profile.host, profile.name);
  const rec = records.get(id);
  return rec ? { record: rec } : { profile: host ? { ...profile, host } : profile };
}

function reportFailure(name: string, e: unknown): void {
  const err = (s: string): boolean => process.stderr.write(s);
  if (e instanceof PreflightError) {
    err(`[${name}] refused by pre-flight:\n${e.problems.map((p) => `  ${p.code}: ${p.message}\n    remedy: ${p.remedy}${p.overridable ? ' (--force launches anyway)' : ''}\n`).join('')}`);
    return;
  }
  const d = e as DeploymentError;
  err(`[${name}] FAILED: ${d.message}\n${d.remedy ? `  remedy: ${d.remedy}\n` : ''}${d.suggestedMaxModelLen ? `  suggested: --max-model-len ${d.suggestedMaxModelLen} (knobs.maxModelLen)\n` : ''}${d.lastLines?.length ? `  last log lines:\n${d.lastLines.map((l) => `    ${l}`).join('\n')}\n` : ''}`);
}

export async function runDeploymentCommand(cmd: 'launch' | 'stop' | 'logs' | 'restart' | 'ps', argv: string[], loadRemote: () => Remote): Promise<number> {
  const args = parseArgs(argv, SPEC);
  if ('error' in args) {
    process.stderr.write(`deepseek-deploy ${cmd}: ${args.error}\n\n${DEPLOY_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(DEPLOY_HELP);
    return 0;
  }
  const err = (s: string): boolean => process.stderr.write(s);
  const disposers: Array<() => void> = [];
  const deps = cliDeps({ acceptNew: args.flags.has('--accept-new'), knownHosts: args.lists.get('--known-hosts') ?? [], sshConfig: args.values.get('--ssh-config') }, loadRemote, disposers);
  const host = args.values.get('--host');
  try {
    if (cmd === 'ps') return await runPs(deps, host, args.flags.has('--json'));
    let target: { record: ServerRecord } | { profile: Profile };
    try {
      target = recordOrProfile(args.positionals[0], args.values.get('--preset'), host, deps.records);
    } catch (e) {
      err(e instanceof ProfileError ? `${e.message}\n` : `deepseek-deploy ${cmd}: ${(e as Error).message}\n`);
      return 2;
    }
    const profile = 'record' in target ? target.record.profile : target.profile;
    if (cmd === 'stop' || cmd === 'logs') {
      const record: ServerRecord = 'record' in target ? target.record : { id: serverId(profile.host, profile.name), host: profile.host, profile, port: profile.knobs.port, startedAt: '', launchedBy: 'cli' };
      const h = recordHandle(record, deps);
      if (cmd === 'stop') {
        await h.stop();
        err(`stopped ${record.id}\n`);
        return 0;
      }
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await h.logs({ follow: !args.flags.has('--no-follow'), onText: (s) => process.stdout.write(s), signal: ac.signal });
      return 0;
    }
    const timeoutMin = args.values.get('--timeout-min');
    const tokenEnv = args.values.get('--hf-token-env') ?? 'HF_TOKEN';
    const token = process.env[tokenEnv] || undefined;
    if (cmd === 'restart' && 'record' in target) {
      const old = recordHandle(target.record, deps);
      await old.stop();
      err(`stopped ${target.record.id}; launching it again\n`);
    }
    const speed = args.values.get('--startup-speed');
    return await launch(profile, deps, { simulatorOptions: speed ? ['--startup-speed', speed] : undefined, token, tokenEnv, force: args.flags.has('--force'), pickFree: args.flags.has('--pick-free-gpus'), timeoutMs: timeoutMin ? Number(timeoutMin) * 60_000 : undefined, detach: args.flags.has('--detach') });
  } catch (e) {
    err(`deepseek-deploy ${cmd}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    for (const d of disposers) d();
  }
}

async function launch(profile: Profile, deps: PipelineDeps, o: { simulatorOptions?: string[]; token?: string; tokenEnv: string; force: boolean; pickFree: boolean; timeoutMs?: number; detach: boolean }): Promise<number> {
  const err = (s: string): boolean => process.stderr.write(s);
  let apiKey: string | undefined;
  try {
    apiKey = resolveServerApiKey(profile, process.env);
  } catch (e) {
    err(`deepseek-deploy launch: ${(e as Error).message}\n`);
    return 2;
  }
  const prep = await prepareLaunch({ profile, hfToken: o.token, apiKey, pickFreeGpus: o.pickFree, simulatorOptions: o.simulatorOptions }, deps);
  for (const w of prep.plan.warnings) err(`warning: ${w}\n`);
  if (prep.fit) err(`memory fit: ${prep.fit.summary}\n`);
  else if (prep.plan.portForward) err('memory fit: not checked (no ready node with allocatable GPUs names its GPU model: node label nvidia.com/gpu.product or cloud.google.com/gke-accelerator)\n');
  else if (profile.engine.kind !== 'simulator') err(`memory fit: not checked (${prep.probeError ?? prep.probe?.gpuError ?? 'no GPUs found on the host'})\n`);
  for (const n of prep.preflight.notes) err(`note: ${n}\n`);
  if (!o.token && profile.engine.kind !== 'simulator') err(`note: $${o.tokenEnv} is not set; gated or private models will fail to download\n`);
  if (prep.plan.values) err(`values (helm --values -):\n${prep.plan.values.replace(/^/gm, '  ')}\n`);
  err(`$ ${prep.commandLine}\n`);
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  let lastPct = -1;
  let handle: LaunchHandle;
  try {
    handle = await startLaunch(prep, deps, {
      force: o.force,
      timeoutMs: o.timeoutMs,
      signal: ac.signal,
      events: {
        onState: (s, d) => err(`[${profile.name}] ${s}${d ? ` ${d}` : ''}\n`),
        onEvent: (e) => {
          if (e.kind === 'progress' && (e.percent === 100 || e.percent - lastPct >= 10 || e.percent < lastPct)) {
            lastPct = e.percent;
            err(`[${profile.name}] ${e.phase === 'weights' ? 'loading weights' : 'capturing CUDA graphs'} ${e.percent}% (${e.done}/${e.total}${e.eta ? `, eta ${e.eta}` : ''})\n`);
          }
        },
      },
    });
  } catch (e) {
    reportFailure(profile.name, e);
    return 1;
  }
  process.stdout.write(`${handle.url}\n`);
  if (apiKey && !profile.knobs.apiKeySecret) {
    // Kept for chat/bench (OPENAI_API_KEY=$(cat FILE)) in a 0600 file of ours, never printed.
    const dir = path.join(deepseekConfigDir(), 'api-keys');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(dir, `${profile.name}.key`);
    writeFileNoFollow(keyFile, apiKey, 0o600);
    err(`[${profile.name}] the server requires an API key (its port is reachable from other machines): a random one is in ${keyFile}; use OPENAI_API_KEY="$(cat ${keyFile})". knobs.apiKeySecret chooses your own.\n`);
  }
  err(`[${profile.name}] id ${handle.id}: "deepseek-deploy stop ${handle.id}" stops it\n`);
  // Kubernetes: the port-forward runs from this process, so it stays until Ctrl-C even for the local kubeconfig.
  if (o.detach || (prep.host.spec === 'local' && !prep.plan.portForward)) return 0;
  err(`[${profile.name}] ${prep.plan.portForward ? 'kubectl port-forward' : 'tunnel'} open at ${handle.url}; Ctrl-C closes it (the server keeps running)\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  handle.detach();
  return 0;
}

/** `ps`: local, every host of the shared hosts list and every host with a recorded server (or only --host). */
async function runPs(deps: PipelineDeps, host: string | undefined, json: boolean): Promise<number> {
  const hosts = host ? [host] : [...new Set(['local', ...new HostsList().list().map((h) => h.spec), ...deps.records.hosts()])];
  const servers = await listManagedServers(hosts, deps);
  if (json) {
    process.stdout.write(`${JSON.stringify(servers.map(({ id, host: h, runtime, profile, engine, model, state, url, startedAt }) => ({ id, host: h, runtime, profile, engine, model, state, url, startedAt })), null, 2)}\n`);
    return 0;
  }
  if (!servers.length) {
    process.stdout.write(`no managed servers on ${hosts.join(', ')}\n`);
    return 0;
  }
  process.stdout.write(`${'ID'.padEnd(36)} ${'STATE'.padEnd(11)} ${'RUNTIME'.padEnd(8)} ${'ENGINE'.padEnd(18)} ${'MODEL'.padEnd(36)} URL\n`);
  for (const s of servers) process.stdout.write(`${s.id.padEnd(36)} ${s.state.padEnd(11)} ${s.runtime.padEnd(8)} ${s.engine.padEnd(18)} ${s.model.padEnd(36)} ${s.url ?? (s.detail ?? '')}\n`);
  return 0;
}

