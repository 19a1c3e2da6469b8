import * as vscode from 'vscode';
import { BenchResultsPanel, benchmarksDir, loadRunFiles } from './benchResultsPanel';

/**
 * "DeepSeek: Open Benchmark Results…": pick saved result files (default `.deepseek/benchmarks/`) and show them side by
 * side in the results panel. `files` (absolute paths) skips the dialog, for tests and links.
 */
export function openBenchmarkResultsCommand(extensionUri: vscode.Uri) {
  return async (files?: string[]): Promise<number> => {
    const picked = files?.map((f) => vscode.Uri.file(f)) ?? (await vscode.window.showOpenDialog({ title: 'Open benchmark results', canSelectMany: true, defaultUri: benchmarksDir(), filters: { 'Benchmark results': ['json'] } }));
    if (!picked?.length) return 0;
    const runs = await loadRunFiles(picked);
    if (runs.length) BenchResultsPanel.show(extensionUri, runs, runs.length === 1 ? runs[0].name : `${runs.length} saved runs`);
    return runs.length;
  };
}
