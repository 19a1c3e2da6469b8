import * as vscode from 'vscode';
import type { Endpoint, EndpointStore } from '../../core/endpoints/endpointStore';
import type { StreamResult } from '../../core/openai/chatStream';
import { loadOpenAIClient } from '../lazyModules';

export interface LatencyProbe extends StreamResult {
  readonly endpointId: string;
  readonly tokensPerSecond: number;
}

/**
 * "Benchmark this endpoint": for now the latency preset (one streamed request, vLLM's TTFT/TPOT definitions);
 * workloads, sweeps and the results panel come with the benchmark issue.
 */
export function benchmarkEndpointCommand(store: EndpointStore, output: vscode.OutputChannel) {
  return async (target?: Endpoint | string, maxTokens = 128): Promise<LatencyProbe | undefined> => {
    let id = typeof target === 'string' ? target : target?.id;
    if (!id) {
      const ready = store.list().filter((e) => e.status === 'ready');
      if (ready.length === 0) {
        void vscode.window.showWarningMessage('DeepSeek: no ready endpoint to benchmark. Run "DeepSeek: Launch Server" first.');
        return undefined;
      }
      id = ready.length === 1 ? ready[0].id : (await vscode.window.showQuickPick(ready.map((e) => ({ label: e.label, description: e.baseUrl, id: e.id })), { title: 'Benchmark which endpoint?' }))?.id;
      if (!id) return undefined;
    }
    const ep = store.get(id);
    if (!ep) throw new Error(`unknown endpoint ${id}`);
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Benchmarking ${ep.label} (latency, 1 request)` }, () =>
      loadOpenAIClient().streamChat({ baseUrl: ep.baseUrl, model: ep.model, prompt: 'Explain tensor parallelism in two sentences.', maxTokens }),
    );
    const out = r.completionTokens ?? 0;
    const tpot = out > 1 ? (r.e2eMs - r.ttftMs) / (out - 1) : 0;
    const probe: LatencyProbe = { ...r, endpointId: id, tokensPerSecond: r.e2eMs > 0 ? (out * 1000) / r.e2eMs : 0 };
    const tag = r.simulated ? ' [simulated]' : '';
    output.appendLine(`${new Date().toISOString()} ${ep.label}${tag}: TTFT ${r.ttftMs.toFixed(1)} ms · TPOT ${tpot.toFixed(2)} ms · ${out} tokens · ${probe.tokensPerSecond.toFixed(1)} tok/s · E2E ${r.e2eMs.toFixed(0)} ms`);
    void vscode.window.showInformationMessage(`${ep.label}${tag}: TTFT ${r.ttftMs.toFixed(0)} ms · TPOT ${tpot.toFixed(1)} ms · ${probe.tokensPerSecond.toFixed(1)} tok/s`);
    return probe;
  };
}
