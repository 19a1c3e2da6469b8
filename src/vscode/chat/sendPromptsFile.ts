import * as vscode from 'vscode';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import { parsePromptsFile, responsesPathFor, runPrompts, type PromptResponse } from '../../core/chat/promptsFile';
import { isOriginalR1 } from '../../core/chat/conversation';
import { loadOpenAIClient } from '../lazyModules';
import { readChatSettings } from './chatSettings';
import { readStreamLimits } from '../streamSettings';
import type { CustomEndpoints } from './customEndpoints';

export interface PromptsRun { readonly outFile: string; readonly responses: PromptResponse[]; readonly cancelled: boolean }

/**
 * "Send Prompts File…" (seed 002's batch_prompt_sender): a JSON/JSONL file of tagged prompts, sent with a concurrency
 * limit (match the server's --max-num-seqs), answers written to NAME.responses.json beside it, matched by tag.
 */
export function sendPromptsFileCommand(store: EndpointStore, custom: CustomEndpoints, selected: () => string | undefined) {
  return async (args?: { file?: string; endpointId?: string; concurrency?: number }): Promise<PromptsRun | undefined> => {
    const file = args?.file ?? (await vscode.window.showOpenDialog({ title: 'Send prompts file', canSelectMany: false, filters: { 'Prompts (JSON / JSONL)': ['json', 'jsonl'] } }))?.[0]?.fsPath;
    if (!file) return undefined;
    let items;
    try {
      items = parsePromptsFile(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString('utf8'), file);
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`);
      return undefined;
    }
    const ep = store.get(args?.endpointId ?? selected() ?? '');
    if (!ep || ep.status !== 'ready') {
      void vscode.window.showErrorMessage('DeepSeek: no ready endpoint selected in the chat view. Launch a server or add an endpoint first.');
      return undefined;
    }
    const conc = args?.concurrency ?? Number(await vscode.window.showInputBox({ title: `Send ${items.length} prompts to ${ep.label}`, prompt: 'Concurrent requests (match the server\'s --max-num-seqs for throughput)', value: '8', validateInput: (v) => (/^[1-9]\d{0,3}$/.test(v) ? undefined : 'A whole number from 1 to 9999') }));
    if (!Number.isInteger(conc) || conc < 1) return undefined;
    const settings = readChatSettings();
    const apiKey = await custom.apiKey(ep.id); // launched servers with a key store it under their endpoint id too
    const outFile = responsesPathFor(file);
    const client = loadOpenAIClient();
    const run = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sending ${items.length} prompts to ${ep.label}`, cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let failed = 0;
        return runPrompts({
          items,
          concurrency: conc,
          signal: abort.signal,
          onProgress: (done, total, last) => {
            if (last.error) failed++;
            progress.report({ increment: 100 / total, message: `${done}/${total}${failed ? ` · ${failed} failed` : ''}` });
          },
          send: async (item, signal) => {
            const sys = item.system ?? settings.systemPrompt;
            const messages = sys && !isOriginalR1(ep.model) ? [{ role: 'system' as const, content: sys }, { role: 'user' as const, content: item.prompt }] : [{ role: 'user' as const, content: sys ? `${sys}\n\n${item.prompt}` : item.prompt }];
            try {
              const r = await client.streamChat({ baseUrl: ep.baseUrl, model: ep.model, messages, maxTokens: settings.maxTokens, temperature: settings.temperature, topP: settings.topP, apiKey, signal, limits: readStreamLimits() });
              return { tag: item.tag, prompt: item.prompt, reasoning: r.reasoning, response: r.content, usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens }, ttft_ms: r.ttftMs, latency_ms: r.e2eMs, finish_reason: r.finishReason };
            } catch (e) {
              const err = e as Error & { partial?: { reasoning: string; content: string } };
              return { tag: item.tag, prompt: item.prompt, error: err.message, reasoning: err.partial?.reasoning, response: err.partial?.content };
            }
          },
        });
      },
    );
    await vscode.workspace.fs.writeFile(vscode.Uri.file(outFile), Buffer.from(`${JSON.stringify(run.responses, null, 2)}\n`));
    const failed = run.responses.filter((r) => r.error).length;
    const summary = `${run.responses.length - failed}/${items.length} answered${failed ? `, ${failed} failed` : ''}${run.cancelled ? ' (cancelled)' : ''} → ${vscode.workspace.asRelativePath(outFile)}`;
    void vscode.window.showInformationMessage(`DeepSeek: ${summary}`, 'Open').then((p) => p && vscode.window.showTextDocument(vscode.Uri.file(outFile)));
    return { outFile, ...run };
  };
}
