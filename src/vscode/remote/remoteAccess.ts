import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostEntry, HostProbe } from '../../core/hosts/hostModel';
import type { RemoteHosts } from '../../core/ssh/remoteHosts';
import type { SshTarget } from '../../core/ssh/sshTarget';
import { DEFAULT_IDENTITIES } from '../../core/ssh/sshConfigDefaults';
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

  sshConfigPath(): string {
    return expandHome(this.config().get<string>('sshConfigFile') || '~/.ssh/config');
  }

  get hosts(): RemoteHosts {
    if (!this.remote) {
      const known = this.config().get<string[]>('knownHostsFiles');
      this.remote = loadRemoteModule().createRemoteHosts({
        knownHostsFiles: known?.length ? known.map(expandHome) : undefined,
        trustStorePath: path.join(this.context.globalStorageUri.fsPath, 'trusted_host_keys.json'),
        log: (l) => this.log.appendLine(l),
        confirmHostKey: async (info) => {
          const trust = 'Trust and Connect';
          const choice = await vscode.window.showWarningMessage(
            `Unknown host key for ${info.host}:${info.port}`,
            { modal: true, detail: `${info.keyType} key fingerprint is ${info.fingerprint}.\n\nCompare it with the fingerprint your administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host). Trust it only if they match.` },
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
        trustStorePath: path.join(this.context.globalStorageUri.fsPath, 'trusted_host_keys.json'),
        log: (l) => this.log.appendLine(l),
        confirmHostKey: () => Promise.resolve(false),
        prompts: { passphrase: () => Promise.resolve(undefined) },
      });
    }
    return this.quiet;
  }

  /** Resolves a Hosts-view entry to a connection target (ssh-config aliases are re-read each time). */
  target(h: HostEntry): SshTarget {
    if (h.sshConfigHost) {
      const t = this.hosts.loadSshConfigHosts(this.sshConfigPath()).find((x) => x.id === h.sshConfigHost);
      if (!t) throw new Error(`Host "${h.sshConfigHost}" is no longer in ${this.sshConfigPath()}.`);
      return t;
    }
    const hops = h.proxyJump?.split(',').map((x) => x.trim()) ?? [];
    const jump = hops.length ? this.hosts.loadSshConfigHosts(this.sshConfigPath()).filter((x) => hops.includes(x.id)) : undefined;
    return {
      id: h.id,
      host: h.hostName ?? h.label,
      port: h.port ?? 22,
      user: h.user ?? os.userInfo().username,
      identityFiles: (h.identityFile ? [h.identityFile] : DEFAULT_IDENTITIES).map(expandHome),
      jump: jump?.length ? jump : undefined,
    };
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
