import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the CLI and the extension keep state they share (hosts list, launched servers, trust store):
 * `$XDG_CONFIG_HOME/deepseek-deploy`, else `~/.config/deepseek-deploy` (XDG Base Directory spec).
 */
export function deepseekConfigDir(): string {
  return path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'deepseek-deploy');
}
