import * as readline from 'node:readline';
import type { RemoteHosts, RemoteHostsOptions } from '../core/ssh/remoteHosts';
import { resolveTarget } from '../core/ssh/resolveTarget';
import type { SshTarget } from '../core/ssh/sshTarget';
import { parseArgs } from './cliArgs';
import { acceptNewHostKey } from './acceptNewHostKey';
import { defaultTrustStorePath } from '../core/ssh/trustStorePath';
import { describeGpu, shortGpuName, summarizeGpus } from '../core/hosts/nvidiaSmi';

export const GPUS_HELP = `usage: deepseek-deploy gpus --host HOST [--identity FILE] [--ssh-config FILE] [--known-hosts FILE] [--accept-new] [--json]

Prints the GPU inventory of a host over SSH (nvidia-smi), with OS, docker/compose, SLURM and HF cache free space.
  --host         an ssh config alias or user@host[:port], resolved as ssh resolves it (HostName, User, Port,
                 IdentityFile, ProxyJump, ProxyCommand …; see "deepseek-deploy hosts show HOST")
  --identity     private key file, like ssh -i (default: ssh-agent, then the config's IdentityFile or OpenSSH's defaults)
  --ssh-config   read only this ssh config file, like ssh -F (default: ~/.ssh/config, then /etc/ssh/ssh_config)
  --known-hosts  known_hosts file to read (default: ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts); never written
  --accept-new   like ssh -o StrictHostKeyChecking=accept-new: trust an unknown host key (printed) and add it to
                 ~/.config/deepseek-deploy/known_hosts (shared with the VS Code extension); a changed or revoked
                 key, including a key of another type than the recorded one, is always refused
  --json         print the inventory as JSON
`;

function askHidden(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(question);
    out._writeToOutput = () => undefined; // no echo
    rl.question('', (a) => {
      rl.close();
      process.stderr.write('\n');
      resolve(a);
    });
  });
}

export async function runGpus(argv: string[], loadRemote: () => { createRemoteHosts(o: RemoteHostsOptions): RemoteHosts }): Promise<number> {
  const args = parseArgs(argv, { flags: ['--accept-new', '--json'], values: ['--host', '--ssh-config'], repeatable: ['--identity', '--known-hosts'], aliases: { '-i': '--identity' } });
  if ('error' in args) {
    process.stderr.write(`deepseek-deploy gpus: ${args.error}\n\n${GPUS_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(GPUS_HELP);
    return 0;
  }
  const host = args.values.get('--host');
  const identities = args.lists.get('--identity') ?? [];
  const knownHosts = args.lists.get('--known-hosts') ?? [];
  const acceptNew = args.flags.has('--accept-new');
  const json = args.flags.has('--json');
  if (!host) {
    process.stderr.write(`deepseek-deploy gpus: --host is required\n\n${GPUS_HELP}`);
    return 2;
  }
  let target: SshTarget;
  try {
    const t = resolveTarget(host, { sshConfigFile: args.values.get('--ssh-config'), identityFiles: identities });
    if ('kind' in t) {
      process.stderr.write('deepseek-deploy gpus: --host local is this machine; gpus reads a host over SSH (use nvidia-smi here)\n');
      return 2;
    }
    target = t;
  } catch (e) {
    process.stderr.write(`deepseek-deploy gpus: ${(e as Error).message}\n`);
    return 2;
  }
  const remote = loadRemote().createRemoteHosts({
    knownHostsFiles: knownHosts.length ? knownHosts : undefined,
    trustStorePath: defaultTrustStorePath(),
    confirmHostKey: acceptNewHostKey(acceptNew, (s) => process.stderr.write(s)),
    prompts: { passphrase: (keyPath) => askHidden(`Passphrase for ${keyPath}: `) },
  });
  try {
    const probe = await remote.probe(target);
    if (json) {
      process.stdout.write(`${JSON.stringify({ host: `${target.user}@${target.host}:${target.port}`, ...probe }, null, 2)}\n`);
    } else {
      process.stdout.write(`${target.user}@${target.host}:${target.port} · ${probe.os}\n`);
      process.stdout.write(`${summarizeGpus(probe.gpus)}\n`);
      for (const g of probe.gpus) process.stdout.write(`  GPU ${g.index}  ${shortGpuName(g.name).padEnd(12)} ${describeGpu(g)}\n`);
      if (probe.gpuError) process.stdout.write(`  ${probe.gpuError}\n`);
      for (const w of probe.gpus.length ? probe.gpuWarnings ?? [] : []) process.stdout.write(`  nvidia-smi: ${w}\n`);
      process.stdout.write(`docker: ${probe.docker ?? 'not found'} · compose: ${probe.compose ?? 'not found'} · slurm: ${probe.slurm ?? 'not found'} · HF cache ${probe.hfCachePath ?? '?'}${probe.hfCacheExists === false ? ' (not created yet)' : ''}: ${probe.hfCacheFreeGiB ?? '?'} GiB free\n`);
    }
    return probe.gpuError && probe.gpus.length === 0 ? 1 : 0;
  } catch (e) {
    process.stderr.write(`deepseek-deploy gpus: ${(e as Error).message}\n`);
    if ((e as { kind?: string }).kind === 'host-key-unknown') process.stderr.write('Compare the fingerprint with the one the host\'s administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host), then re-run with --accept-new.\n');
    return (e as { kind?: string }).kind?.startsWith('host-key') ? 3 : 1;
  } finally {
    remote.dispose();
  }
}
