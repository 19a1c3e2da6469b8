import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostEntry, HostProbe } from '../../core/hosts/hostModel';
import type { RemoteHosts } from '../../core/ssh/remoteHosts';
import type { SshTarget } from '../../core/ssh/sshTarget';
import { resolveTarget } from '../../core/ssh/resolveTarget';
import { defaultTrustStorePath } from '../../core/ssh/trustStorePath';
import { loadRemoteModule } from '../lazyModules';

const expandHome = (p: string): string => p.replace(/^~(?=$|\/)/, os.homedir());

/**
 * The extension's side of SSH: builds targets from settings and ~/.ssh/config, and answers ssh2's questions with
 * VS Code UI (modal host-key prompt whose default is Cancel, password boxes). ssh2 loads on first remote use only.
 */
export class RemoteAccess implements vscode.Disposable {
  private remote: RemoteHosts | undefined;
  private quiet: RemoteHosts | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.OutputChannel) {}

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('deepseek');
  }

  /**
   * The ssh config file the user chose (read like `ssh -F`), or undefined for OpenSSH's own default
   * (~/.ssh/config, then /etc/ssh/ssh_config). Only the user-level value counts: a workspace cannot point us (or the
   * terminal's ssh) at a config of its own, whose ProxyCommand would run on this machine (the setting is also
   * machine-scoped, so VS Code ignores workspace values).
   */
  sshConfigPath(): string | undefined {
    const v = this.config().inspect<string>('sshConfigFile')?.globalValue?.trim();
    return v ? expandHome(v) : undefined;
  }

  /** The config file for messages. */
  sshConfigLabel(): string {
    return this.sshConfigPath() ?? '~/.ssh/config';
  }

  get hosts(): RemoteHosts {
    if (!this.remote) {
      // Machine-scoped in package.json, and read from user settings only: a workspace must not choose which keys we trust.
      const known = this.config().inspect<string[]>('knownHostsFiles')?.globalValue;
      this.remote = loadRemoteModule().createRemoteHosts({
        knownHostsFiles: known?.length ? known.map(expandHome) : undefined,
        trustStorePath: defaultTrustStorePath(),
        log: (l) => this.log.appendLine(l),
        confirmHostKey: async (info) => {
          const trust = 'Trust and Connect';
          const choice = await vscode.window.showWarningMessage(
            `Unknown host key for ${info.name}`,
            {
              modal: true,
              detail: `${info.keyType} key fingerprint is ${info.fingerprint}.\n\n${info.notes.map((n) => `${n}\n\n`).join('')}` +
                `Compare it with the fingerprint your administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host). Trust it only if they match. ` +
                `A trusted key is added to ${info.storePath ?? 'no file'}, shared with the deepseek-deploy CLI.`,
            },
            trust,
          );
          return choice === trust;
        },
        prompts: {
          passphrase: async (keyPath) => {
            const secretKey = `deepseek.passphrase:${keyPath}`;
            const saved = await this.context.secrets.get(secretKey);
            if (saved !== undefined) return saved;
            const pass = await vscode.window.showInputBox({ title: 'SSH key passphrase', prompt: `Passphrase for ${keyPath}`, password: true, ignoreFocusOut: true });
            if (pass === undefined) return undefined;
            const keep = await vscode.window.showInformationMessage(`Remember the passphrase for ${path.basename(keyPath)} in VS Code's secret storage?`, 'Remember', 'Not now');
            if (keep === 'Remember') await this.context.secrets.store(secretKey, pass);
            return pass;
          },
          password: (target) => Promise.resolve(vscode.window.showInputBox({ title: 'SSH password', prompt: `Password for ${target}`, password: true, ignoreFocusOut: true })),
          keyboardInteractive: async (target, instructions, prompts) => {
            const answers: string[] = [];
            for (const p of prompts) {
              const a = await vscode.window.showInputBox({ title: `SSH login: ${target}`, prompt: `${instructions ? `${instructions} — ` : ''}${p.prompt}`, password: !p.echo, ignoreFocusOut: true });
              if (a === undefined) return undefined;
              answers.push(a);
            }
            return answers;
          },
        },
      });
    }
    return this.remote;
  }

  /**
   * SSH access that never asks: unknown host keys are refused and no password or passphrase is requested. For work
   * nobody asked for right now (re-discovery of managed servers after activation).
   */
  get quietHosts(): RemoteHosts {
    if (!this.quiet) {
      const known = this.config().get<string[]>('knownHostsFiles');
      this.quiet = loadRemoteModule().createRemoteHosts({
        knownHostsFiles: known?.length ? known.map(expandHome) : undefined,
        trustStorePath: defaultTrustStorePath(),
        log: (l) => this.log.appendLine(l),
        confirmHostKey: () => Promise.resolve(false),
        prompts: { passphrase: () => Promise.resolve(undefined) },
      });
    }
    return this.quiet;
  }

  /**
   * Resolves a Hosts-view entry to a connection target with the product's one resolver (resolveTarget), re-reading
   * the ssh config each time: an imported alias exactly as `ssh ALIAS`; an explicit entry as
   * `ssh [-i identityFile] [-J proxyJump] user@host:port` (the config's settings for that host still apply).
   * Throws when the host or one of its ProxyJump hops cannot be resolved.
   */
  target(h: HostEntry): SshTarget {
    const sshConfigFile = this.sshConfigPath();
    const spec = h.sshConfigHost ?? `${h.user ? `${h.user}@` : ''}${(h.hostName ?? h.label).includes(':') ? `[${h.hostName ?? h.label}]` : h.hostName ?? h.label}${h.port ? `:${h.port}` : ''}`;
    const t = resolveTarget(spec, { sshConfigFile, identityFiles: h.identityFile ? [expandHome(h.identityFile)] : undefined, proxyJump: h.sshConfigHost ? undefined : h.proxyJump });
    if ('kind' in t) throw new Error(`"${spec}" names this machine, not an SSH host.`);
    return { ...t, id: h.sshConfigHost ?? h.id };
  }

  /** Open tunnels of a host, described for the Hosts view; empty before ssh2 was ever loaded. */
  tunnelsFor(h: HostEntry): string[] {
    if (!this.remote) return [];
    return this.remote.tunnels.list().filter((t) => t.target.id === this.targetIdOf(h)).map((t) => t.description);
  }

  private targetIdOf(h: HostEntry): string {
    return h.sshConfigHost ?? h.id;
  }

  probe(h: HostEntry): Promise<HostProbe> {
    return this.hosts.probe(this.target(h));
  }

  dispose(): void {
    this.remote?.dispose();
    this.quiet?.dispose();
  }
}
