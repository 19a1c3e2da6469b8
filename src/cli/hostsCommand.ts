import { parseArgs } from './cliArgs';
import { listSshConfigAliases, expandedIdentityFiles, expandedProxyCommand, expandedProxyJumpText, type ResolvedSshConfig } from '../core/ssh/sshConfig';
import { resolveSpecConfig, resolveTarget } from '../core/ssh/resolveTarget';
import { targetLabel, type SshTarget } from '../core/ssh/sshTarget';

export const HOSTS_HELP = `usage: deepseek-deploy hosts [--ssh-config FILE] [--json]
       deepseek-deploy hosts show HOST [--ssh-config FILE] [--json]

"hosts" lists the Host aliases of your ssh config with what each resolves to. "hosts show" prints what we connect to
for HOST (an alias, host, or user@host[:port]), resolved as OpenSSH's \`ssh -G HOST\` resolves it (Include, Match,
% tokens, first value wins); compare with \`ssh -G HOST\`. Match exec is never run (treated as not matching).
  --ssh-config  read only this file, like ssh -F (default: ~/.ssh/config, then /etc/ssh/ssh_config)
  --json        hosts show: {hostname, user, port, identityFiles, proxyJump, proxyCommand, identityAgent, hostKeyAlias}
`;

/** The JSON `hosts show --json` prints; keys fixed by issue 12 so users can diff it against `ssh -G`. */
export interface HostShowJson {
  readonly hostname: string;
  readonly user: string;
  readonly port: number;
  /** Absolute, `~` and tokens expanded, in the order they are tried. */
  readonly identityFiles: readonly string[];
  /** Hops as the config names them (tokens expanded), outermost first; null without ProxyJump. */
  readonly proxyJump: readonly string[] | null;
  /** With its tokens expanded; null without ProxyCommand. */
  readonly proxyCommand: string | null;
  readonly identityAgent: string | null;
  readonly hostKeyAlias: string | null;
}

/** hosts show's JSON for a resolution (the raw ProxyJump hops with %h %n %p %r expanded). */
export function hostShowJson(r: ResolvedSshConfig, t: SshTarget): HostShowJson {
  const jump = expandedProxyJumpText(r)?.split(',') ?? null;
  return {
    hostname: t.host,
    user: t.user,
    port: t.port,
    identityFiles: expandedIdentityFiles(r),
    proxyJump: jump,
    proxyCommand: expandedProxyCommand(r) ?? null,
    identityAgent: r.identityagent ?? null,
    hostKeyAlias: r.hostkeyalias ?? null,
  };
}

const via = (t: SshTarget): string => (t.jump?.length ? ` via ${t.jump.map(targetLabel).join(' → ')}` : '') + (t.proxyCommand || t.jump?.[0]?.proxyCommand ? ` via ProxyCommand ${t.jump?.[0]?.proxyCommand ?? t.proxyCommand}` : '');

/** `deepseek-deploy hosts …`: 0 on success, 1 when a host cannot be resolved, 2 for usage errors. */
export function runHosts(argv: string[]): number {
  const args = parseArgs(argv, { flags: ['--json'], values: ['--ssh-config'], positionals: 2 });
  if ('error' in args) {
    process.stderr.write(`deepseek-deploy hosts: ${args.error}\n\n${HOSTS_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HOSTS_HELP);
    return 0;
  }
  const sshConfigFile = args.values.get('--ssh-config');
  const json = args.flags.has('--json');
  const [sub, spec] = args.positionals;
  if (sub !== undefined && sub !== 'show') {
    process.stderr.write(`deepseek-deploy hosts: unknown subcommand "${sub}"\n\n${HOSTS_HELP}`);
    return 2;
  }
  if (sub === 'show') {
    if (!spec) {
      process.stderr.write(`deepseek-deploy hosts show: which host?\n\n${HOSTS_HELP}`);
      return 2;
    }
    return show(spec, sshConfigFile, json);
  }
  let aliases: string[];
  try {
    aliases = listSshConfigAliases(sshConfigFile);
  } catch (e) {
    process.stderr.write(`deepseek-deploy hosts: ${(e as Error).message}\n`);
    return 1;
  }
  let failed = 0;
  const rows: Array<{ alias: string; target?: string; via?: string; error?: string }> = [];
  for (const alias of aliases) {
    try {
      const t = resolveTarget(alias, { sshConfigFile });
      if ('kind' in t) continue;
      rows.push({ alias, target: targetLabel(t), via: via(t).trim() || undefined });
    } catch (e) {
      failed++;
      rows.push({ alias, error: (e as Error).message });
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write(`no Host aliases in ${sshConfigFile ?? '~/.ssh/config'}\n`);
  else {
    const w = Math.max(...rows.map((r) => r.alias.length));
    for (const r of rows) process.stdout.write(`${r.alias.padEnd(w)}  ${r.error ? `error: ${r.error}` : `${r.target}${r.via ? `  ${r.via}` : ''}`}\n`);
  }
  return failed ? 1 : 0;
}

function show(spec: string, sshConfigFile: string | undefined, json: boolean): number {
  let r: ResolvedSshConfig;
  let t: SshTarget;
  try {
    const resolved = resolveTarget(spec, { sshConfigFile });
    if ('kind' in resolved) {
      process.stdout.write(json ? `${JSON.stringify({ local: true })}\n` : 'local: this machine, no SSH\n');
      return 0;
    }
    t = resolved;
    r = resolveSpecConfig(spec, { sshConfigFile });
  } catch (e) {
    process.stderr.write(`deepseek-deploy hosts show: ${(e as Error).message}\n`);
    return 1;
  }
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  const j = hostShowJson(r, t);
  if (json) {
    process.stdout.write(`${JSON.stringify(j, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `${spec}: ${t.user}@${t.host}:${t.port}`,
    `  identity files: ${j.identityFiles.join(', ') || '(none)'}`,
    `  identity agent: ${j.identityAgent ?? '$SSH_AUTH_SOCK'}`,
  ];
  if (j.hostKeyAlias) lines.push(`  host key alias: ${j.hostKeyAlias}`);
  if (j.proxyJump) lines.push(`  proxy jump:     ${j.proxyJump.join(',')} = ${(t.jump ?? []).map(targetLabel).join(' → ')}`);
  if (j.proxyCommand) lines.push(`  proxy command:  ${j.proxyCommand}`);
  if (t.jump?.[0]?.proxyCommand) lines.push(`  first hop's proxy command: ${t.jump[0].proxyCommand}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
