import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The ONE trust store the CLI and the extension share (DESIGN.md "Host keys we trust beyond the user's known_hosts"):
 * an OpenSSH known_hosts file at $XDG_CONFIG_HOME/deepseek-deploy/known_hosts, XDG_CONFIG_HOME defaulting to
 * ~/.config (XDG Base Directory spec). Both sides call this, so a host trusted in one is trusted in the other.
 */
export function defaultTrustStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(config, 'deepseek-deploy', 'known_hosts');
}
