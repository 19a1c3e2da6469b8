import * as vscode from 'vscode';
import * as path from 'node:path';
import { TuneToHost, type HostToTune, type TuneView } from '../../protocol/tuneProtocol';
import type { TuneResult } from '../../core/tune/tuneResult';
import { tunePareto } from '../../core/tune/paretoFront';
import { BenchResultsPanel, loadRunFiles } from '../bench/benchResultsPanel';
import { ReadyGate, webviewHtml, webviewOptions } from '../webview/webviewShell';

/** What the panel's webview last reported drawing (tests read it). */
export interface TuneRendered { readonly candidates: number; readonly points: number; readonly front: number; readonly charts: number }

/** Writes a candidate's settings into the base profile; resolves to the file written and the fields changed. */
export type ApplyToProfile = (result: TuneResult, candidateId: string, tuneFile: string | undefined) => Promise<{ file: string; changed: string[] } | undefined>;

/**
 * The tuning results panel (one per window): the Pareto chart, every configuration with its SLO verdict, cost and
 * energy, the planner's misfits, the chosen configuration and "Apply to profile". Shown live while a tuning run goes
 * (show() again with each update) and for a saved tune.json. Same CSP and nonce scheme as the benchmark panel.
 */
export class TuneResultsPanel {
  static readonly viewType = 'deepseek.tuneResults';
  private static current: TuneResultsPanel | undefined;
  private static readonly renderedListeners = new Set<(r: TuneRendered) => void>();
  /** What the webview last reported drawing. */
  static lastRendered: TuneRendered | undefined;
  private readonly panel: vscode.WebviewPanel;
  private view: TuneView | undefined;
  private readonly gate: ReadyGate<HostToTune>;

  static show(extensionUri: vscode.Uri, result: TuneResult, opts: { file?: string; live: boolean; apply: ApplyToProfile; applyTarget: TuneView['applyTarget'] }): TuneResultsPanel {
    const p = TuneResultsPanel.current ?? new TuneResultsPanel(extensionUri, vscode.window.createWebviewPanel(TuneResultsPanel.viewType, 'DeepSeek Tuning', { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.live }, TuneResultsPanel.options(extensionUri)), opts.apply);
    p.apply = opts.apply;
    p.view = { result, file: opts.file, live: opts.live, applyTarget: opts.applyTarget, ...tunePareto(result) };
    p.panel.title = `Tuning: ${result.specName}`;
    if (!opts.live) p.panel.reveal(vscode.ViewColumn.Active);
    p.post({ type: 'tune', view: p.view });
    // A finished view has no progress line (an empty one removes it, also after a reload).
    if (!opts.live) p.post({ type: 'progress', text: '' });
    return p;
  }

  /** A progress line above the results (while the run goes). */
  static progress(text: string): void {
    TuneResultsPanel.current?.post({ type: 'progress', text });
  }

  static onDidRender(l: (r: TuneRendered) => void): vscode.Disposable {
    TuneResultsPanel.renderedListeners.add(l);
    return new vscode.Disposable(() => TuneResultsPanel.renderedListeners.delete(l));
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { ...webviewOptions(extensionUri), retainContextWhenHidden: true };
  }

  /** Brings the panel back after a window reload from the tune.json it showed (saved in the webview's state). */
  static serializer(extensionUri: vscode.Uri, open: (file: string) => Promise<unknown>, apply: ApplyToProfile): vscode.WebviewPanelSerializer<{ file?: string }> {
    return {
      async deserializeWebviewPanel(panel, state) {
        panel.webview.options = TuneResultsPanel.options(extensionUri);
        if (!TuneResultsPanel.current) new TuneResultsPanel(extensionUri, panel, apply);
        if (state?.file) await open(state.file);
      },
    };
  }

  private constructor(private readonly extensionUri: vscode.Uri, panel: vscode.WebviewPanel, private apply: ApplyToProfile) {
    this.panel = panel;
    TuneResultsPanel.current = this;
    const w = panel.webview;
    this.gate = new ReadyGate<HostToTune>(w);
    // The shell's strict CSP and nonce, as the benchmark panel; uPlot and the toolkit style through CSSOM.
    w.html = webviewHtml(w, extensionUri, { title: 'DeepSeek Tuning', script: 'tune.js', styles: ['dist/webview/uPlot.min.css', 'media/bench.css', 'media/tune.css'] });
    w.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw));
    panel.onDidDispose(() => {
      if (TuneResultsPanel.current === this) TuneResultsPanel.current = undefined;
    });
  }

  /** Sends when the page is ready; the newest message of each kind is re-sent if the page reloads. */
  private post(msg: HostToTune): void {
    this.gate.post(msg, msg.type);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = TuneToHost.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === 'ready') {
      this.gate.ready();
    } else if (m.type === 'rendered') {
      TuneResultsPanel.lastRendered = { candidates: m.candidates, points: m.points, front: m.front, charts: m.charts };
      for (const l of TuneResultsPanel.renderedListeners) l(TuneResultsPanel.lastRendered);
    } else if (m.type === 'apply' && this.view && !this.view.live) {
      try {
        const done = await this.apply(this.view.result, m.candidateId, this.view.file);
        if (done) this.post({ type: 'applied', file: vscode.workspace.asRelativePath(done.file), changed: done.changed });
      } catch (e) {
        void vscode.window.showErrorMessage(`DeepSeek: Apply to profile failed: ${(e as Error).message}`);
      }
    } else if (m.type === 'openRuns' && this.view) {
      const c = this.view.result.candidates.find((x) => x.id === m.candidateId);
      const dir = this.view.file ? path.dirname(this.view.file) : undefined;
      if (!c || !dir || !c.runs.length) return;
      // A tune.json is data from disk: its run files are read only from inside its own folder.
      const files = c.runs.map((r) => path.resolve(dir, r.resultFile)).filter((f) => f.startsWith(`${dir}${path.sep}`));
      const runs = await loadRunFiles(files.map((f) => vscode.Uri.file(f)));
      if (runs.length) BenchResultsPanel.show(this.extensionUri, runs, `${this.view.result.runId} · ${c.id}`);
    }
  }
}
