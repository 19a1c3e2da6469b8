import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { HostEntry, HostSetting } from '../../core/hosts/hostModel';
import { resolveTarget } from '../../core/ssh/resolveTarget';
import { parseDestination } from '../../core/ssh/sshDestination';
import { parseUserHost } from '../../core/ssh/sshTarget';
import { HostsList } from '../../core/hosts/hostsList';
import type { RemoteAccess } from './remoteAccess';
import type { HostsTreeProvider } from './hostsTreeProvider';

/** Tree nodes arrive as `{ host }`; tests and other commands pass `{ hostId }` or a host id string. */
type HostArg = { host?: HostEntry; hostId?: string } | string | undefined;

const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('deepseek');
const storedHosts = (): HostSetting[] => settings().get<HostSetting[]>('hosts') ?? [];
const saveHosts = (list: HostSetting[]): Thenable<void> => settings().update('hosts', list, vscode.ConfigurationTarget.Global);
/** The hosts list shared with the CLI (`deepseek-deploy ps` visits every host in it). */
const shared = new HostsList();
const specOf = (s: HostSetting): string => s.sshConfigHost ?? `${s.user ? `${s.user}@` : ''}${s.host ?? ''}${s.port && s.port !== 22 ? `:${s.port}` : ''}`;

async function pickHost(hosts: HostsTreeProvider, arg: HostArg, placeHolder: string, sshOnly = true): Promise<HostEntry | undefined> {
  const id = typeof arg === 'string' ? arg : arg?.host?.id ?? arg?.hostId;
  const candidates = hosts.hosts.filter((h) => !sshOnly || h.kind === 'ssh');
  if (id) return candidates.find((h) => h.id === id);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('No SSH hosts yet. Use "DeepSeek: Add Host…" or "DeepSeek: Import Hosts from SSH Config".');
    return undefined;
  }
  const p = await vscode.window.showQuickPick(candidates.map((h) => ({ label: h.label, description: h.sshConfigHost ? 'ssh config' : `${h.user ?? ''}@${h.hostName ?? ''}:${h.port ?? 22}`, host: h })), { placeHolder });
  return p?.host;
}

export function hostCommands(hosts: HostsTreeProvider, remote: RemoteAccess): Record<string, (...args: never[]) => unknown> {
  return {
    'deepseek.addHost': async (args?: { spec?: string; identityFile?: string; name?: string }) => {
      const spec = args?.spec ?? (await vscode.window.showInputBox({
        title: 'Add SSH Host',
        prompt: 'user@host[:port] of a GPU server (key or agent auth; host keys are verified on first connect)',
        placeHolder: `${os.userInfo().username}@gpu-node-01`,
        // A refused value stays in the box (validateInput blocks Enter) so the user can correct it.
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            parseUserHost(v, os.userInfo().username);
            const t = resolveTarget(v, { sshConfigFile: remote.sshConfigPath() });
            return 'kind' in t ? '"local" is this machine, already in the Hosts view' : undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      }));
      if (!spec) return undefined;
      let u: { user?: string; host: string; port?: number };
      try {
        // The one resolver checks the spec (names ssh refuses, hops, the config) before anything is stored.
        if ('kind' in resolveTarget(spec, { sshConfigFile: remote.sshConfigPath() })) return undefined;
        u = parseDestination(spec.trim());
      } catch (e) {
        void vscode.window.showErrorMessage(`Cannot add "${spec}": ${(e as Error).message}`);
        return undefined;
      }
      const port = u.port ?? 22;
      const entry: HostSetting = { host: u.host, ...(u.user ? { user: u.user } : {}), port, ...(args?.identityFile ? { identityFile: args.identityFile } : {}), ...(args?.name ? { name: args.name } : {}) };
      await saveHosts([...storedHosts().filter((h) => !(h.host === u.host && h.user === u.user && (h.port ?? 22) === port)), entry]);
      shared.add({ spec: specOf(entry), name: args?.name });
      await hosts.refresh();
      return entry;
    },
    'deepseek.importSshHosts': async (args?: { aliases?: string[] }) => {
      let aliases = args?.aliases;
      if (!aliases) {
        let found;
        const configFile = remote.sshConfigPath() ?? `${os.homedir()}/.ssh/config`;
        if (!fs.existsSync(configFile)) {
          void vscode.window.showInformationMessage(`No SSH config at ${configFile}: nothing to import. Use "DeepSeek: Add Host…", or set deepseek.sshConfigFile.`, 'Add Host…', 'Open Settings').then((a) => {
            if (a === 'Add Host…') void vscode.commands.executeCommand('deepseek.addHost');
            if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'deepseek.sshConfigFile');
          });
          return undefined;
        }
        try {
          found = remote.hosts.loadSshConfigHosts(remote.sshConfigPath());
        } catch (e) {
          void vscode.window.showErrorMessage(`Cannot read ${remote.sshConfigLabel()}: ${(e as Error).message}`);
          return undefined;
        }
        if (!found.length) {
          void vscode.window.showInformationMessage(`No Host entries in ${remote.sshConfigLabel()}.`);
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(found.map((t) => ({ label: t.id, description: `${t.user}@${t.host}:${t.port}${t.jump ? ` via ${t.jump.map((j) => j.id).join(', ')}` : ''}${t.proxyCommand ? ' via ProxyCommand' : ''}` })), { canPickMany: true, placeHolder: `Hosts from ${remote.sshConfigLabel()} to show in the Hosts view` });
        aliases = picked?.map((p) => p.label);
      }
      if (!aliases?.length) return undefined;
      const kept = storedHosts().filter((h) => !h.sshConfigHost || !aliases.includes(h.sshConfigHost));
      await saveHosts([...kept, ...aliases.map((a) => ({ sshConfigHost: a }))]);
      for (const a of aliases) shared.add({ spec: a });
      await hosts.refresh();
      return aliases;
    },
    'deepseek.removeHost': async (arg?: HostArg) => {
      const h = await pickHost(hosts, arg, 'Host to remove from the Hosts view');
      if (!h) return;
      const all = storedHosts();
      const keep = all.filter((s) => {
        if (h.sshConfigHost) return s.sshConfigHost !== h.sshConfigHost;
        return !(s.host === h.hostName && s.user === h.user && (s.port ?? 22) === (h.port ?? 22));
      });
      await saveHosts(keep);
      for (const s of all) if (!keep.includes(s)) shared.remove(specOf(s));
      try {
        await remote.hosts.pool.disconnect(remote.target(h));
      } catch {
        /* the host may no longer resolve; nothing to close */
      }
      await hosts.refresh();
    },
    'deepseek.openHostTerminal': async (arg?: HostArg) => {
      const h = await pickHost(hosts, arg, 'Open a terminal on…');
      if (!h) return undefined;
      // An interactive shell needs a real pty, which the system ssh client provides; it does its own host-key checks.
      // The config is the user-level setting or ssh's own default, never a workspace's (sshConfigPath). The host is
      // resolved first so that names ssh would refuse (or that look like options) never reach its command line,
      // and the destination comes after "--".
      try {
        remote.target(h);
      } catch (e) {
        void vscode.window.showErrorMessage(`Cannot open a terminal on ${h.label}: ${(e as Error).message}`);
        return undefined;
      }
      const cfg = remote.sshConfigPath();
      const args = [
        ...(cfg ? ['-F', cfg] : []),
        ...(h.sshConfigHost ? [] : [...(h.port && h.port !== 22 ? ['-p', String(h.port)] : []), ...(h.identityFile ? ['-i', h.identityFile] : []), ...(h.proxyJump ? ['-J', h.proxyJump] : [])]),
        '--',
        h.sshConfigHost ?? `${h.user ? `${h.user}@` : ''}${h.hostName ?? h.label}`,
      ];
      const term = vscode.window.createTerminal({ name: `ssh ${h.label}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('remote') });
      term.show();
      return term;
    },
    'deepseek.openTunnel': async (args?: { hostId?: string; host?: HostEntry; remotePort?: number; remoteHost?: string; localPort?: number }) => {
      const h = await pickHost(hosts, args, 'Forward a port of…');
      if (!h) return undefined;
      const portText = args?.remotePort !== undefined ? String(args.remotePort) : await vscode.window.showInputBox({ title: `Tunnel to ${h.label}`, prompt: 'Remote port (as seen from the host), e.g. 8000 for vLLM, 30000 for SGLang', validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'a port number') });
      if (!portText) return undefined;
      try {
        const t = await remote.hosts.tunnels.openTunnel(remote.target(h), args?.remoteHost ?? '127.0.0.1', Number(portText), args?.localPort ?? 0);
        hosts.redraw();
        void vscode.window.showInformationMessage(`Tunnel open: ${t.description}`);
        return { id: t.id, localPort: t.localPort };
      } catch (e) {
        void vscode.window.showErrorMessage(`Tunnel to ${h.label} failed: ${(e as Error).message}`);
        return undefined;
      }
    },
    'deepseek.closeTunnel': async (args?: { id?: string }) => {
      const list = remote.hosts.tunnels.list();
      const id = args?.id ?? (await vscode.window.showQuickPick(list.map((t) => ({ label: t.description, id: t.id })), { placeHolder: list.length ? 'Tunnel to close' : 'No open tunnels' }))?.id;
      if (!id) return;
      remote.hosts.tunnels.close(id);
      hosts.redraw();
    },
  };
}
