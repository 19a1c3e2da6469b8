import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { HostEntry, HostSetting } from '../../core/hosts/hostModel';
import { parseUserHost } from '../../core/ssh/sshTarget';
import type { RemoteAccess } from '../remote/remoteAccess';
import type { HostsTreeProvider } from '../views/hostsTreeProvider';

/** Tree nodes arrive as `{ host }`; tests and other commands pass `{ hostId }` or a host id string. */
type HostArg = { host?: HostEntry; hostId?: string } | string | undefined;

const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('deepseek');
const storedHosts = (): HostSetting[] => settings().get<HostSetting[]>('hosts') ?? [];
const saveHosts = (list: HostSetting[]): Thenable<void> => settings().update('hosts', list, vscode.ConfigurationTarget.Global);

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
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      }));
      if (!spec) return undefined;
      const u = parseUserHost(spec, os.userInfo().username);
      const entry: HostSetting = { host: u.host, user: u.user, port: u.port, ...(args?.identityFile ? { identityFile: args.identityFile } : {}), ...(args?.name ? { name: args.name } : {}) };
      await saveHosts([...storedHosts().filter((h) => !(h.host === u.host && h.user === u.user && (h.port ?? 22) === u.port)), entry]);
      await hosts.refresh();
      return entry;
    },
    'deepseek.importSshHosts': async (args?: { aliases?: string[] }) => {
      let aliases = args?.aliases;
      if (!aliases) {
        let found;
        if (!fs.existsSync(remote.sshConfigPath())) {
          void vscode.window.showInformationMessage(`No SSH config at ${remote.sshConfigPath()}: nothing to import. Use "DeepSeek: Add Host…", or set deepseek.sshConfigFile.`, 'Add Host…', 'Open Settings').then((a) => {
            if (a === 'Add Host…') void vscode.commands.executeCommand('deepseek.addHost');
            if (a === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'deepseek.sshConfigFile');
          });
          return undefined;
        }
        try {
          found = remote.hosts.loadSshConfigHosts(remote.sshConfigPath());
        } catch (e) {
          void vscode.window.showErrorMessage(`Cannot read ${remote.sshConfigPath()}: ${(e as Error).message}`);
          return undefined;
        }
        if (!found.length) {
          void vscode.window.showInformationMessage(`No Host entries in ${remote.sshConfigPath()}.`);
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(found.map((t) => ({ label: t.id, description: `${t.user}@${t.host}:${t.port}${t.jump ? ` via ${t.jump.map((j) => j.id).join(', ')}` : ''}` })), { canPickMany: true, placeHolder: `Hosts from ${remote.sshConfigPath()} to show in the Hosts view` });
        aliases = picked?.map((p) => p.label);
      }
      if (!aliases?.length) return undefined;
      const kept = storedHosts().filter((h) => !h.sshConfigHost || !aliases.includes(h.sshConfigHost));
      await saveHosts([...kept, ...aliases.map((a) => ({ sshConfigHost: a }))]);
      await hosts.refresh();
      return aliases;
    },
    'deepseek.removeHost': async (arg?: HostArg) => {
      const h = await pickHost(hosts, arg, 'Host to remove from the Hosts view');
      if (!h) return;
      await saveHosts(storedHosts().filter((s) => {
        if (h.sshConfigHost) return s.sshConfigHost !== h.sshConfigHost;
        return !(s.host === h.hostName && s.user === h.user && (s.port ?? 22) === (h.port ?? 22));
      }));
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
      const args = h.sshConfigHost
        ? ['-F', remote.sshConfigPath(), h.sshConfigHost]
        : [...(h.port && h.port !== 22 ? ['-p', String(h.port)] : []), ...(h.identityFile ? ['-i', h.identityFile] : []), ...(h.proxyJump ? ['-J', h.proxyJump] : []), `${h.user ? `${h.user}@` : ''}${h.hostName ?? h.label}`];
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
