import * as vscode from 'vscode';
import { BenchToHost, type HostToBench, type RunView } from '../../protocol/benchProtocol';
import { toCsv, toMarkdown } from '../../core/bench/resultTables';
import { ReadyGate, webviewHtml, webviewOptions } from '../webview/webviewShell';

/**
 * The benchmark results panel (one per window): summary and percentile grids with runs side by side, sweep and
 * distribution charts, server metrics, export, and "compare with saved runs".
 */
export class BenchResultsPanel {
  private static current: BenchResultsPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private runs: RunView[] = [];
  private title = 'Benchmark results';
  private readonly gate: ReadyGate<HostToBench>;
  /** What the webview last reported drawing (tests read it). */
  static lastRendered: { runs: number; charts: number } | undefined;
  private static readonly renderedListeners = new Set<(r: { runs: number; charts: number }) => void>();

  static show(extensionUri: vscode.Uri, runs: RunView[], title: string): BenchResultsPanel {
    const p = BenchResultsPanel.current ?? new BenchResultsPanel(extensionUri, vscode.window.createWebviewPanel(BenchResultsPanel.viewType, 'DeepSeek Benchmark', vscode.ViewColumn.Active, BenchResultsPanel.options(extensionUri)));
    p.runs = runs;
    p.title = title;
    p.panel.reveal(vscode.ViewColumn.Active);
    p.post();
    return p;
  }

  static onDidRender(l: (r: { runs: number; charts: number }) => void): vscode.Disposable {
    BenchResultsPanel.renderedListeners.add(l);
    return new vscode.Disposable(() => BenchResultsPanel.renderedListeners.delete(l));
  }

  static readonly viewType = 'deepseek.benchResults';

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { ...webviewOptions(extensionUri), retainContextWhenHidden: true };
  }

  /**
   * Brings the panel back after a window reload: the webview saved `{ files, title }` (the result files it showed,
   * see webview/bench/main.ts); they are read again from disk. Runs that were never saved are not restored.
   */
  static serializer(extensionUri: vscode.Uri): vscode.WebviewPanelSerializer<{ files?: string[]; title?: string }> {
    return {
      async deserializeWebviewPanel(panel, state) {
        panel.webview.options = BenchResultsPanel.options(extensionUri);
        const p = BenchResultsPanel.current ?? new BenchResultsPanel(extensionUri, panel);
        p.runs = await loadRunFiles((state?.files ?? []).map((f) => vscode.Uri.file(f)));
        p.title = state?.title ?? 'Benchmark results';
        p.post();
      },
    };
  }

  private constructor(extensionUri: vscode.Uri, panel: vscode.WebviewPanel) {
    this.panel = panel;
    BenchResultsPanel.current = this;
    const w = this.panel.webview;
    this.gate = new ReadyGate<HostToBench>(w);
    // The toolkit and uPlot style elements through CSSOM (allowed by the shell's CSP); no inline styles are needed.
    w.html = webviewHtml(w, extensionUri, { title: 'DeepSeek Benchmark', script: 'bench.js', styles: ['dist/webview/uPlot.min.css', 'media/bench.css'] });
    w.onDidReceiveMessage((raw: unknown) => this.onMessage(raw));
    this.panel.onDidDispose(() => {
      if (BenchResultsPanel.current === this) BenchResultsPanel.current = undefined;
    });
  }

  private post(): void {
    this.gate.post({ type: 'runs', runs: this.runs, title: this.title }, 'runs');
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = BenchToHost.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === 'ready') {
      this.gate.ready();
    } else if (m.type === 'rendered') {
      BenchResultsPanel.lastRendered = { runs: m.runs, charts: m.charts };
      for (const l of BenchResultsPanel.renderedListeners) l(BenchResultsPanel.lastRendered);
    } else if (m.type === 'export') {
      const names = this.runs.map((r) => r.name);
      const results = this.runs.map((r) => r.result);
      const content = m.format === 'json' ? `${JSON.stringify(results, null, 2)}\n` : m.format === 'csv' ? toCsv(names, results) : toMarkdown(names, results);
      // A file, not an untitled editor: the default name sits beside the first saved result.
      const ext = m.format === 'markdown' ? 'md' : m.format;
      const first = this.runs.find((r) => r.file)?.file;
      const base = first ? first.replace(/\.json$/, '') : 'benchmark';
      const defaultUri = first ? vscode.Uri.file(`${base}${m.format === 'json' ? '.export' : ''}.${ext}`) : benchmarksDir() ? vscode.Uri.joinPath(benchmarksDir()!, `${base}.${ext}`) : undefined;
      const target = await vscode.window.showSaveDialog({ title: `Export ${this.runs.length} run${this.runs.length === 1 ? '' : 's'} as ${m.format.toUpperCase()}`, defaultUri, filters: { [m.format.toUpperCase()]: [ext] } });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, Buffer.from(content, 'utf8'));
      const open = await vscode.window.showInformationMessage(`DeepSeek: exported to ${target.fsPath}`, 'Open');
      if (open) await vscode.window.showTextDocument(target);
    } else if (m.type === 'addRuns') {
      const dir = benchmarksDir();
      const picked = await vscode.window.showOpenDialog({ title: 'Compare with saved benchmark runs', canSelectMany: true, defaultUri: dir, filters: { 'Benchmark results': ['json'] } });
      if (!picked) return;
      this.runs.push(...(await loadRunFiles(picked)));
      this.post();
    }
  }
}

/** Reads saved results (vLLM's JSON keys) as panel runs; a file that is not a result is reported and skipped. */
export async function loadRunFiles(files: readonly vscode.Uri[]): Promise<RunView[]> {
  const runs: RunView[] = [];
  for (const f of files) {
    try {
      const result = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(f)).toString('utf8')) as Record<string, unknown>;
      if (!result || typeof result !== 'object' || Array.isArray(result)) throw new Error('not a JSON object');
      runs.push({ id: f.toString(), name: typeof result.label === 'string' ? result.label : (f.path.split('/').pop() ?? f.path), file: f.fsPath, result });
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: ${f.fsPath} is not a benchmark result: ${(e as Error).message}`);
    }
  }
  return runs;
}

/** `.deepseek/benchmarks/` in the first workspace folder (where the results of this workspace's servers belong). */
export function benchmarksDir(): vscode.Uri | undefined {
  const ws = vscode.workspace.workspaceFolders?.[0];
  return ws ? vscode.Uri.joinPath(ws.uri, '.deepseek', 'benchmarks') : undefined;
}
