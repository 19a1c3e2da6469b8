import * as vscode from 'vscode';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import { loadOpenAIClient } from '../lazyModules';
import { normalizeBaseUrl } from '../../core/openai/baseUrl';

interface SavedEndpoint { id: string; label: string; baseUrl: string; model: string; simulated: boolean }

const KEY = 'deepseek.customEndpoints';
export const apiKeySecret = (endpointId: string): string => `deepseek.endpointKey.${endpointId}`;

/** Endpoints the user added by URL ("Add Endpoint…"): kept in global state; their API keys only in SecretStorage. */
export class CustomEndpoints {
  constructor(private readonly context: vscode.ExtensionContext, private readonly store: EndpointStore) {
    for (const e of this.saved()) this.store.upsert({ ...e, engine: 'unknown', launched: false, status: 'ready', detail: 'added by URL' });
  }

  private saved(): SavedEndpoint[] {
    return this.context.globalState.get<SavedEndpoint[]>(KEY, []);
  }

  apiKey(endpointId: string): Thenable<string | undefined> {
    return this.context.secrets.get(apiKeySecret(endpointId));
  }

  /** Asks for the URL and an optional key, checks /v1/models with it, and adds the endpoint. Returns its id. */
  async add(args?: { baseUrl?: string; apiKey?: string; model?: string }): Promise<string | undefined> {
    const raw = args?.baseUrl ?? (await vscode.window.showInputBox({
      title: 'Add Endpoint (1/2): base URL',
      prompt: 'Any OpenAI-compatible server, e.g. http://gpu01:8000 (with or without /v1)',
      placeHolder: 'http://127.0.0.1:8000',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          normalizeBaseUrl(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    }));
    if (!raw) return undefined;
    let baseUrl: string;
    try {
      baseUrl = normalizeBaseUrl(raw);
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`);
      return undefined;
    }
    const key = args ? args.apiKey : await vscode.window.showInputBox({ title: 'Add Endpoint (2/2): API key (optional)', prompt: 'Kept in VS Code\'s secret storage, sent only as the Authorization header. Leave empty for none.', password: true, ignoreFocusOut: true });
    if (key === undefined && !args) return undefined;
    let found: { models: string[]; simulated: boolean };
    try {
      found = await loadOpenAIClient().listModels(baseUrl, key || undefined);
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: could not add ${baseUrl}: ${(e as Error).message}`);
      return undefined;
    }
    const model = args?.model ?? (found.models.length === 1 ? found.models[0] : await vscode.window.showQuickPick(found.models, { title: `Model served at ${baseUrl}` }));
    if (!model) return undefined;
    const id = `url:${baseUrl}`;
    const entry: SavedEndpoint = { id, label: `${model.split('/').pop() ?? model} @ ${new URL(baseUrl).host}`, baseUrl, model, simulated: found.simulated };
    await this.context.globalState.update(KEY, [...this.saved().filter((e) => e.id !== id), entry]);
    if (key) await this.context.secrets.store(apiKeySecret(id), key);
    else await this.context.secrets.delete(apiKeySecret(id));
    this.store.upsert({ ...entry, engine: 'unknown', launched: false, status: 'ready', detail: 'added by URL' });
    return id;
  }

  async remove(id: string): Promise<void> {
    await this.context.globalState.update(KEY, this.saved().filter((e) => e.id !== id));
    await this.context.secrets.delete(apiKeySecret(id));
    this.store.remove(id);
  }
}
