import * as vscode from 'vscode';
import { loadLaunchModule } from '../lazyModules';

/** Arguments for running "Set Secret…" without prompts (automation and tests). */
export interface SetSecretArgs {
  /** The knobs.apiKeySecret name; asked for (with the names the workspace's profiles use) when absent. */
  readonly name?: string;
  /** The secret itself; asked for in a password box when absent. An empty string removes the stored secret. */
  readonly value?: string;
}

/**
 * The SecretStorage key holding the server API key a profile's knobs.apiKeySecret names: the name itself (letters,
 * digits and _ by the schema, so it never meets the extension's own dotted keys such as deepseek.hfToken). The one
 * place launches, tuning and "Set Secret…" agree on it.
 */
export const serverSecretKey = (name: string): string => name;

/** The stored server API key for a knobs.apiKeySecret name, or undefined when none is stored. */
export const readServerSecret = (secrets: vscode.SecretStorage, name: string): Thenable<string | undefined> => secrets.get(serverSecretKey(name));

/**
 * Asks for the value of secret `name` in a password box and stores it. Returns the value, or undefined when the user
 * cancelled. The value is never shown, logged or put in a message.
 */
export async function askAndStoreServerSecret(secrets: vscode.SecretStorage, name: string, why?: string): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({
    title: `DeepSeek: Set Secret ${name}`,
    prompt: `${why ? `${why} ` : ''}The server API key for profiles with knobs.apiKeySecret: ${name}. Kept in VS Code's secret storage; it reaches the engine only through a 0600 file or its environment.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' ? 'Enter the key' : /\s/.test(v) ? 'An API key has no spaces or line breaks' : undefined),
  });
  if (value === undefined) return undefined;
  await secrets.store(serverSecretKey(name), value);
  return value;
}

/** The name: picked among those the workspace's profiles use (stored or not), or typed. */
async function pickName(secrets: vscode.SecretStorage): Promise<string | undefined> {
  const api = loadLaunchModule();
  const files = await vscode.workspace.findFiles('**/*.deepseek.yaml', '**/node_modules/**', 200);
  const profiles = await Promise.all(files.map(async (f) => ({ file: vscode.workspace.asRelativePath(f), text: Buffer.from(await vscode.workspace.fs.readFile(f)).toString('utf8') })));
  const uses = api.apiKeySecretNamesIn(profiles);
  const other = '$(add) Another name…';
  if (uses.length) {
    const items = await Promise.all(uses.map(async (u) => ({ label: u.name, description: (await readServerSecret(secrets, u.name)) !== undefined ? 'stored · replace it' : 'not stored yet', detail: `knobs.apiKeySecret of ${u.files.join(', ')}` })));
    const picked = await vscode.window.showQuickPick([...items, { label: other, description: '', detail: 'A name no profile in this workspace uses yet' }], { title: 'DeepSeek: Set Secret', placeHolder: 'Which secret (a profile\'s knobs.apiKeySecret)?' });
    if (!picked) return undefined;
    if (picked.label !== other) return picked.label;
  }
  return vscode.window.showInputBox({
    title: 'DeepSeek: Set Secret',
    prompt: 'The name a profile gives in knobs.apiKeySecret (the CLI reads the same secret from $DEEPSEEK_DEPLOY_SECRET_<NAME>)',
    placeHolder: 'SERVER_KEY',
    ignoreFocusOut: true,
    validateInput: (v) => api.apiKeySecretNameProblem(v),
  });
}

/**
 * "DeepSeek: Set Secret…": stores a server API key under the name a profile's knobs.apiKeySecret gives, where launches
 * read it. Returns the name stored (or removed), or undefined when cancelled. With args, no prompts; a bad name
 * throws then (the schema's rule), and is refused by the input box otherwise.
 */
export function setSecretCommand(secrets: vscode.SecretStorage) {
  return async (args?: SetSecretArgs): Promise<string | undefined> => {
    const name = args?.name ?? (await pickName(secrets));
    if (name === undefined) return undefined;
    const problem = loadLaunchModule().apiKeySecretNameProblem(name);
    if (problem) throw new Error(`secret name "${name}": ${problem}`);
    if (args?.value === '') {
      await secrets.delete(serverSecretKey(name));
      return name;
    }
    if (args?.value !== undefined) await secrets.store(serverSecretKey(name), args.value);
    else if ((await askAndStoreServerSecret(secrets, name)) === undefined) return undefined;
    if (args?.value === undefined) void vscode.window.showInformationMessage(`DeepSeek: stored the secret ${name}; profiles with knobs.apiKeySecret: ${name} launch with it.`);
    return name;
  };
}
