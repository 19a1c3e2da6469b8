import * as vscode from 'vscode';
import type { Endpoint, EndpointStore } from '../../core/endpoints/endpointStore';
import type { ManagedServers } from '../launch/managedServers';
import { loadBenchModule } from '../lazyModules';
import { BenchResultsPanel } from './benchResultsPanel';
import type { NativeResult } from '../../core/bench/nativeBench';

type Tool = 'vllm-bench-serve' | 'sglang-bench-serving' | 'sglang-bench-one-batch';

export interface EngineBenchArgs { tool?: Tool; inputLen?: number; outputLen?: number; numPrompts?: number }

/** The engine's own benchmark command line, aimed at the engine where it runs (inside its container, or on the host). */
export function nativeArgv(tool: Tool, model: string, port: number, a: Required<Omit<EngineBenchArgs, 'tool'>>): string[] {
  const io = ['--random-input-len', String(a.inputLen), '--random-output-len', String(a.outputLen), '--num-prompts', String(a.numPrompts)];
  if (tool === 'vllm-bench-serve') return ['vllm', 'bench', 'serve', '--model', model, '--host', '127.0.0.1', '--port', String(port), '--dataset-name', 'random', ...io, '--ignore-eos'];
  // SGLang's random lengths are uniform in [L·ratio, L]: ratio 1 gives the exact lengths vLLM's ratio 0 gives.
  if (tool === 'sglang-bench-serving') return ['python3', '-m', 'sglang.bench_serving', '--backend', 'sglang-oai', '--host', '127.0.0.1', '--port', String(port), '--model', model, '--dataset-name', 'random', ...io, '--random-range-ratio', '1'];
  return ['python3', '-m', 'sglang.bench_one_batch', '--model-path', model, '--batch-size', '1', '--input-len', String(a.inputLen), '--output-len', String(a.outputLen), '--tp', '8', '--trust-remote-code'];
}

/**
 * "Run Engine Benchmark…": `vllm bench serve`, `sglang.bench_serving` or `sglang.bench_one_batch` where a profile-launched
 * engine runs (docker exec into its container, or on its host), over the same SSH runner that launched it; the printout
 * streams to the output channel and is parsed into the results panel beside our own runs.
 */
export function engineBenchmarkCommand(store: EndpointStore, servers: ManagedServers, output: vscode.OutputChannel, extensionUri: vscode.Uri) {
  return async (target?: Endpoint | string, args?: EngineBenchArgs): Promise<NativeResult | undefined> => {
    const id = typeof target === 'string' ? target : target?.id;
    const ep = id ? store.get(id) : undefined;
    const site = id ? servers.engineSite(id) : undefined;
    if (!ep || !site) {
      void vscode.window.showWarningMessage('DeepSeek: engine benchmarks run next to an engine launched from a profile (Launch from Profile).');
      return undefined;
    }
    if (site.runtime === 'slurm') {
      // The engine runs on a compute node inside the job; the login host cannot reach 127.0.0.1 there.
      void vscode.window.showWarningMessage('DeepSeek: for a SLURM deployment, run the engine benchmark inside the job (srun --jobid … --overlap vllm bench serve …); "Benchmark this endpoint" measures it through the tunnel.');
      return undefined;
    }
    let tool = args?.tool;
    if (!tool) {
      const picks: { label: string; detail: string; tool: Tool }[] = site.flavor === 'vllm'
        ? [{ label: 'vllm bench serve', detail: 'vLLM\'s serving benchmark against this server', tool: 'vllm-bench-serve' }]
        : [
            { label: 'python3 -m sglang.bench_serving', detail: 'SGLang\'s serving benchmark against this server', tool: 'sglang-bench-serving' },
            { label: 'python3 -m sglang.bench_one_batch', detail: 'Loads the model itself (needs the GPUs free: stop the server first)', tool: 'sglang-bench-one-batch' },
          ];
      tool = (await vscode.window.showQuickPick(picks, { title: `Engine benchmark on ${ep.label}` }))?.tool;
      if (!tool) return undefined;
    }
    const a = { inputLen: args?.inputLen ?? 1000, outputLen: args?.outputLen ?? 1000, numPrompts: args?.numPrompts ?? 16 };
    const argv = nativeArgv(tool, site.model, site.port, a);
    output.show(true);
    output.appendLine(`$ ${site.container ? `docker exec ${site.container} ` : ''}${argv.join(' ')}`);
    let result: NativeResult;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${argv.slice(0, 3).join(' ')} on ${ep.label}`, cancellable: true }, (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return loadBenchModule().runNativeBenchmark(site.runner, argv, { container: site.container, signal: ac.signal, onOutput: (s) => output.append(s) });
      });
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`);
      return undefined;
    }
    const name = `${result.tool} (engine)`;
    BenchResultsPanel.show(extensionUri, [{ id: `native-${Date.now()}`, name, result: { ...result.fields, label: name, deepseek_deploy: { native_tool: result.tool, endpoint: ep.baseUrl, endpoint_label: ep.label, simulated: ep.simulated, command: argv.join(' ') } } }], `${ep.label} · ${result.tool}`);
    return result;
  };
}
