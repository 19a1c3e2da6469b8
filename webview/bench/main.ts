import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDataGrid, vsCodeDataGridCell, vsCodeDataGridRow, type DataGrid } from '@vscode/webview-ui-toolkit';
import uPlot from 'uplot';
import type { BenchToHost, HostToBench, RunView } from '../../src/protocol/benchProtocol';
import { METRIC_KEYS, percentileTable, summaryTable } from '../../src/core/bench/resultTables';
import { css, num, PALETTE } from '../shared/theme';
import { el } from '../shared/dom';
import { connectHost } from '../shared/hostChannel';

provideVSCodeDesignSystem().register(vsCodeDataGrid(), vsCodeDataGridRow(), vsCodeDataGridCell(), vsCodeButton());
const host = connectHost<BenchToHost, HostToBench, { files: string[]; title: string }>();
const app = document.getElementById('app') as HTMLElement;

/** A toolkit data grid: first column the row label, then one column per run (runs side by side). */
function grid(title: string, names: string[], rows: string[][]): HTMLElement {
  const sec = el('section', 'table');
  sec.append(el('h3', '', title));
  const g = document.createElement('vscode-data-grid') as DataGrid;
  g.setAttribute('aria-label', title);
  g.generateHeader = 'sticky';
  const cols = ['metric', ...names.map((_, i) => `run${i}`)];
  g.columnDefinitions = cols.map((c, i) => ({ columnDataKey: c, title: i === 0 ? 'Metric' : names[i - 1] }));
  // Columns keep a readable minimum width (the section scrolls sideways) instead of breaking words letter by letter.
  g.gridTemplateColumns = `minmax(11em, 1.6fr) ${names.map(() => 'minmax(7em, 1fr)').join(' ')}`;
  g.rowsData = rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
  sec.append(g);
  return sec;
}

function chart(title: string, data: uPlot.AlignedData, series: { label: string; scale?: string }[], axes: { x: string; y: string; y2?: string }, xLog = false): HTMLElement {
  const box = el('section', 'chart');
  box.append(el('h3', '', title));
  const fg = css('--vscode-foreground', '#ccc');
  const grid = { stroke: css('--vscode-panel-border', '#444'), width: 1 };
  const opts: uPlot.Options = {
    width: Math.max(320, Math.min(760, app.clientWidth - 24)),
    height: 240,
    scales: { x: { time: false, distr: xLog ? 3 : 1 } },
    series: [{ label: axes.x }, ...series.map((s, i) => ({ label: s.label, scale: s.scale ?? 'y', stroke: css(PALETTE[i % PALETTE.length], '#3794ff'), width: 2, points: { show: data[0].length < 40 } }))],
    axes: [
      { label: axes.x, stroke: fg, grid },
      { label: axes.y, stroke: fg, grid, scale: 'y' },
      ...(axes.y2 ? [{ label: axes.y2, stroke: fg, side: 1 as const, grid: { show: false }, scale: 'y2' }] : []),
    ],
  };
  const holder = el('div', 'plot');
  box.append(holder);
  new uPlot(opts, data, holder);
  return box;
}

/** Empirical CDF: sorted values against the fraction of samples at or below them, on a shared x grid per run. */
function cdf(runs: RunView[], pick: (r: RunView) => number[] | undefined, title: string): HTMLElement | undefined {
  const withData = runs.filter((r) => (pick(r)?.length ?? 0) > 0);
  if (!withData.length) return undefined;
  const xs = [...new Set(withData.flatMap((r) => pick(r)!.map((v) => Math.round(v * 100) / 100)))].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(xs.length / 400));
  const grid = xs.filter((_, i) => i % step === 0 || i === xs.length - 1);
  const ys = withData.map((r) => {
    const s = [...pick(r)!].sort((a, b) => a - b);
    let j = 0;
    return grid.map((x) => {
      while (j < s.length && s[j] <= x) j++;
      return j / s.length;
    });
  });
  return chart(title, [grid, ...ys], withData.map((r) => ({ label: r.name })), { x: 'ms', y: 'fraction ≤ x' });
}

function render(runs: RunView[], title: string): void {
  app.replaceChildren();
  const head = el('header', 'head');
  head.append(el('h2', '', title));
  const actions = el('div', 'actions');
  for (const [label, msg] of [['Export JSON…', { type: 'export', format: 'json' }], ['Export CSV…', { type: 'export', format: 'csv' }], ['Export Markdown…', { type: 'export', format: 'markdown' }], ['Compare with Saved Runs…', { type: 'addRuns' }]] as [string, BenchToHost][]) {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    b.setAttribute('appearance', 'secondary');
    b.addEventListener('click', () => host.post(msg));
    actions.append(b);
  }
  head.append(actions);
  app.append(head);
  if (runs.some((r) => (r.result.deepseek_deploy as { simulated?: boolean } | undefined)?.simulated)) app.append(el('p', 'note', 'Measured against the DeepSeek Deploy simulator, not a GPU engine.'));
  // A cancelled run counts only the requests that finished; its name says so in every table and chart legend.
  const cancelled = (r: RunView): boolean => (r.result.deepseek_deploy as { cancelled?: boolean } | undefined)?.cancelled === true;
  if (runs.some(cancelled)) app.append(el('p', 'note cancelled', `Cancelled: ${runs.filter(cancelled).map((r) => r.name).join(', ')}. Only requests that finished before the cancel are counted; requests never sent are not failures.`));
  runs = runs.map((r) => (cancelled(r) ? { ...r, name: `${r.name} (cancelled)` } : r));
  const names = runs.map((r) => r.name);
  const results = runs.map((r) => r.result);
  let charts = 0;
  app.append(grid('Summary', names, summaryTable(results)));
  // Sweep: output tok/s and TPOT against concurrency (max-concurrency, or the batch when all are sent at once).
  const conc = runs.map((r) => num(r.result.max_concurrency) ?? (r.result.request_rate === 'inf' ? num(r.result.num_prompts) : null));
  if (runs.length >= 2 && conc.every((c) => c !== null)) {
    const order = conc.map((c, i) => [c, i] as const).sort((a, b) => a[0] - b[0]);
    app.append(chart('Output tok/s and mean TPOT vs concurrency', [order.map(([c]) => c), order.map(([, i]) => num(results[i].output_throughput)), order.map(([, i]) => num(results[i].mean_tpot_ms))], [{ label: 'output tok/s' }, { label: 'mean TPOT (ms)', scale: 'y2' }], { x: 'concurrency', y: 'tok/s', y2: 'TPOT ms' }, true));
    charts++;
  }
  for (const [t, m] of METRIC_KEYS) {
    const rows = percentileTable(results, m);
    if (rows.length) app.append(grid(`${t} (ms)`, names, rows));
  }
  const ttft = cdf(runs, (r) => r.ttftsMs, 'TTFT distribution (CDF)');
  if (ttft) { app.append(ttft); charts++; }
  const itl = cdf(runs, (r) => r.itlsMs, 'ITL distribution (CDF)');
  if (itl) { app.append(itl); charts++; }
  // Reasoning runs: how long each request thought before answering, and how long the answer took.
  const withReasoning = [...runs].reverse().find((r) => (r.result.deepseek_deploy as { reasoning_per_request?: unknown[] } | undefined)?.reasoning_per_request?.length);
  const per = (withReasoning?.result.deepseek_deploy as { reasoning_per_request?: { thinkingMs: number; answerMs: number }[] } | undefined)?.reasoning_per_request;
  if (withReasoning && per && per.some((p) => p.thinkingMs > 0)) {
    const byThinking = [...per].sort((a, b) => a.thinkingMs - b.thinkingMs);
    app.append(chart(`Thinking time vs answer time per request ("${withReasoning.name}")`, [byThinking.map((_, i) => i + 1), byThinking.map((p) => p.thinkingMs), byThinking.map((p) => p.answerMs)], [{ label: 'thinking (ms)' }, { label: 'answer (ms)' }], { x: 'request (by thinking time)', y: 'ms' }));
    charts++;
  }
  const last = runs[runs.length - 1];
  const samples = ((last?.result.deepseek_deploy as { server_metrics?: { t: number; running?: number; waiting?: number; kvUsage?: number }[] } | undefined)?.server_metrics) ?? [];
  if (samples.length >= 2) {
    app.append(chart(`Server /metrics during "${last.name}"`, [samples.map((s) => s.t), samples.map((s) => s.running ?? null), samples.map((s) => s.waiting ?? null), samples.map((s) => (s.kvUsage === undefined ? null : s.kvUsage * 100))], [{ label: 'running' }, { label: 'waiting' }, { label: 'KV cache %', scale: 'y2' }], { x: 's', y: 'requests', y2: 'KV %' }));
    charts++;
  }
  host.post({ type: 'rendered', runs: runs.length, charts });
}

host.listen((m) => {
  if (m?.type === 'runs') {
    // What a window reload needs to show this panel again (src/vscode/bench/benchResultsPanel.ts serializer).
    host.setState({ files: m.runs.flatMap((r) => (r.file ? [r.file] : [])), title: m.title });
    render(m.runs, m.title);
  }
  else if (m?.type === 'progress') app.prepend(el('p', 'progress', m.text));
});
