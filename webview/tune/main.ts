import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDataGrid, vsCodeDataGridCell, vsCodeDataGridRow, type DataGrid } from '@vscode/webview-ui-toolkit';
import uPlot from 'uplot';
import { candidateLabel, type HostToTune, type SloCheck, type TuneCandidate, type TuneRun, type TuneToHost, type TuneView } from '../../src/protocol/tuneProtocol';
import { el } from '../shared/dom';
import { connectHost } from '../shared/hostChannel';
import { css, PALETTE } from '../shared/theme';

// The tuning results view: Pareto chart (as vLLM's plot_pareto), every configuration with its SLO verdict, cost and
// energy, the ones the planner rejected with its reason, the chosen one with why, and "Apply to profile".

provideVSCodeDesignSystem().register(vsCodeDataGrid(), vsCodeDataGridRow(), vsCodeDataGridCell(), vsCodeButton());
const host = connectHost<TuneToHost, HostToTune, { file?: string }>();
const app = document.getElementById('app') as HTMLElement;

const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const loadText = (l: TuneCandidate['maxLoadMeetingSlo']): string => (l ? (l.kind === 'rate' ? `${l.value} req/s` : `${l.value} concurrent`) : '—');
const sloText = (s: SloCheck): string => `${s.stat} ${s.metric.toUpperCase()} ${s.valueMs === null ? '—' : s.valueMs.toFixed(0)} ${s.pass ? '≤' : '>'} ${s.maxMs} ms`;

/** The run that decided a candidate's verdict: the one at its highest SLO-meeting load, else its last run. */
function decidingRun(c: TuneCandidate): TuneRun | undefined {
  const at = c.maxLoadMeetingSlo;
  const matching = at ? c.runs.filter((r) => r.load.kind === at.kind && r.load.value === at.value) : [];
  return matching[matching.length - 1] ?? c.runs[c.runs.length - 1];
}

/** A candidate's SLO verdict in one word, for the table. */
function sloVerdict(c: TuneCandidate): string {
  if (!c.fits) return 'not run (does not fit)';
  if (!c.runs.length) return c.status === 'failed' ? 'failed' : 'not measured';
  return c.maxLoadMeetingSlo ? 'pass' : 'fail';
}

/** A toolkit data grid with named columns, one row per item. */
function table(title: string, columns: { key: string; title: string; width?: string }[], rows: Record<string, string>[]): HTMLElement {
  const sec = el('section', 'table');
  sec.append(el('h3', '', title));
  const g = document.createElement('vscode-data-grid') as DataGrid;
  g.setAttribute('aria-label', title);
  g.generateHeader = 'sticky';
  g.columnDefinitions = columns.map((c) => ({ columnDataKey: c.key, title: c.title }));
  g.gridTemplateColumns = columns.map((c) => c.width ?? 'minmax(6em, 1fr)').join(' ');
  g.rowsData = rows;
  sec.append(g);
  return sec;
}

/** An axis range 8% wider than the data on each side (a single value gets ±1), never below 0. */
function pad(lo: number | null, hi: number | null): [number, number] {
  const a = lo ?? 0;
  const b = hi ?? 1;
  const m = b > a ? (b - a) * 0.08 : Math.max(1, Math.abs(a) * 0.1);
  return [Math.max(0, a - m), b + m];
}

/**
 * The Pareto chart: every run as a point (SLO met / missed), the front as a line, as vLLM's plot_pareto draws it.
 * uPlot wants one x array for all series: the union of the points' x, with gaps where a series has no point.
 */
function paretoChart(view: TuneView): HTMLElement {
  const box = el('section', 'chart pareto');
  // What was drawn, for readers that cannot see the canvas (screen readers get the same through aria-label).
  box.dataset.points = String(view.points.length);
  box.dataset.front = String(view.front.length);
  box.setAttribute('aria-label', `Pareto chart: ${view.points.length} runs, ${view.front.length} on the front`);
  box.append(el('h3', '', 'Pareto front: output tok/s per user vs output tok/s per GPU (every run; the front joins the runs nothing beats on both)'));
  const xs = [...new Set(view.points.map((p) => p.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const pass: (number | null)[] = xs.map(() => null);
  const miss: (number | null)[] = xs.map(() => null);
  const front: (number | null)[] = xs.map(() => null);
  for (const p of view.points) {
    const i = at.get(p.x)!;
    const s = p.sloPass ? pass : miss;
    s[i] = Math.max(s[i] ?? -Infinity, p.y);
  }
  for (const i of view.front) front[at.get(view.points[i].x)!] = view.points[i].y;
  const fg = css('--vscode-foreground', '#ccc');
  const grid = { stroke: css('--vscode-panel-border', '#444'), width: 1 };
  const dots = (color: string): uPlot.Series => ({ stroke: color, fill: color, width: 0, paths: () => null, points: { show: true, size: 7, stroke: color, fill: color } });
  const opts: uPlot.Options = {
    width: Math.max(320, Math.min(760, app.clientWidth - 24)),
    height: 280,
    // A margin around the cloud, so points at the extremes are drawn whole (not cut by the plot's edge).
    scales: { x: { time: false, range: (_u, lo, hi) => pad(lo, hi) }, y: { range: (_u, lo, hi) => pad(lo, hi) } },
    series: [
      { label: 'tok/s per user' },
      { label: 'front', stroke: css(PALETTE[0], '#3794ff'), width: 2, spanGaps: true, points: { show: true, size: 9 } },
      { label: 'meets SLOs', ...dots(css(PALETTE[2], '#89d185')) },
      { label: 'misses SLOs', ...dots(css('--vscode-disabledForeground', '#888')) },
    ],
    axes: [{ label: 'output tok/s per user', stroke: fg, grid }, { label: 'output tok/s per GPU', stroke: fg, grid }],
  };
  const holder = el('div', 'plot');
  box.append(holder);
  new uPlot(opts, [xs, front, pass, miss], holder);
  return box;
}

function render(view: TuneView): void {
  const r = view.result;
  app.replaceChildren();
  const head = el('header', 'head');
  head.append(el('h2', '', `Tuning run ${r.runId} · ${r.specName}`));
  const actions = el('div', 'actions');
  if (r.best) {
    const apply = document.createElement('vscode-button');
    apply.id = 'apply';
    apply.textContent = 'file' in view.applyTarget ? `Apply to Profile (${view.applyTarget.file})` : 'Apply to Profile';
    const disabled = view.live || !('file' in view.applyTarget);
    if (disabled) apply.setAttribute('disabled', '');
    apply.title = view.live ? 'Waits for the run to finish' : 'unavailable' in view.applyTarget ? view.applyTarget.unavailable : 'Writes the chosen settings into the profile, with a comment naming this run';
    const best = r.best;
    apply.addEventListener('click', () => host.post({ type: 'apply', candidateId: best.id }));
    const runs = document.createElement('vscode-button');
    runs.textContent = 'Open Runs of the Chosen Configuration';
    runs.setAttribute('appearance', 'secondary');
    runs.addEventListener('click', () => host.post({ type: 'openRuns', candidateId: best.id }));
    actions.append(apply, runs);
  }
  head.append(actions);
  app.append(head);
  const state = { running: 'running…', done: 'finished', cancelled: 'cancelled (resume continues it)', failed: 'failed', budget: 'stopped at its budget' }[r.state];
  app.append(el('p', 'meta', `${state} · objective ${r.objective} · SLOs: ${r.slos.map((s) => `${s.stat} ${s.metric.toUpperCase()} ≤ ${s.maxMs} ms`).join(', ') || 'none'} · $${r.pricePerGpuHour}/GPU-hour · ${r.launches} launch${r.launches === 1 ? '' : 'es'}`));
  if (r.simulated) app.append(el('p', 'note', 'Measured against the DeepSeek Deploy simulator, not a GPU engine.'));

  const chosen = el('section', 'chosen');
  chosen.append(el('h3', '', 'Chosen configuration'));
  if (r.best) {
    chosen.append(el('p', 'best', candidateLabel(r.best)));
    chosen.append(el('p', 'figures', `max load meeting the SLOs ${loadText(r.best.maxLoadMeetingSlo)} · ${fmt(r.best.outputTokPerSecPerGpu)} output tok/s per GPU · goodput ${fmt(r.best.goodputPerGpu, 3)} req/s per GPU · $${fmt(r.best.usdPerMTokOutput, 2)}/Mtok output · ${fmt(r.best.joulesPerOutputToken, 2)} J/output token`));
  } else chosen.append(el('p', 'best none', r.state === 'done' ? 'None: no configuration met the SLOs.' : `None yet: the run is ${r.state === 'running' ? 'still going (or was interrupted)' : r.state}.`));
  chosen.append(el('p', 'why', r.bestReason));
  app.append(chosen);

  let charts = 0;
  if (view.points.length) {
    app.append(paretoChart(view));
    charts++;
  } else app.append(el('p', 'meta', 'No measured runs yet: the Pareto chart appears with the first one.'));

  const fitting = r.candidates.filter((c) => c.fits);
  app.append(table('Configurations', [
    { key: 'config', title: 'Configuration', width: 'minmax(14em, 2.4fr)' },
    { key: 'gpus', title: 'GPUs', width: 'minmax(4em, 0.5fr)' },
    { key: 'slo', title: 'SLOs' },
    { key: 'sloDetail', title: 'At max load', width: 'minmax(14em, 2fr)' },
    { key: 'load', title: 'Max load meeting SLOs' },
    { key: 'goodput', title: 'Goodput req/s/GPU' },
    { key: 'tput', title: 'Output tok/s/GPU' },
    { key: 'usdOut', title: '$/Mtok output' },
    { key: 'usdTotal', title: '$/Mtok total' },
    { key: 'joules', title: 'J/output token' },
    { key: 'runs', title: 'Runs', width: 'minmax(4em, 0.5fr)' },
    { key: 'status', title: 'Status' },
  ], fitting.map((c) => ({
    config: `${c.id === r.best?.id ? '★ ' : ''}${candidateLabel(c)}`,
    gpus: String(c.gpus),
    slo: sloVerdict(c),
    sloDetail: decidingRun(c)?.slo.map(sloText).join('; ') ?? (c.error ?? '—'),
    load: loadText(c.maxLoadMeetingSlo),
    goodput: fmt(c.goodputPerGpu, 3),
    tput: fmt(c.outputTokPerSecPerGpu),
    usdOut: fmt(c.usdPerMTokOutput, 2),
    usdTotal: fmt(c.usdPerMTokTotal, 2),
    joules: fmt(c.joulesPerOutputToken, 2),
    runs: String(c.runs.length),
    status: c.error ? `${c.status}: ${c.error}` : c.status,
  }))));
  const misfits = r.candidates.filter((c) => !c.fits);
  if (misfits.length) {
    app.append(table('Not launched: the planner says these do not fit', [
      { key: 'config', title: 'Configuration', width: 'minmax(14em, 1.5fr)' },
      { key: 'gpus', title: 'GPUs', width: 'minmax(4em, 0.4fr)' },
      { key: 'reason', title: 'Planner\'s reason', width: 'minmax(20em, 3fr)' },
    ], misfits.map((c) => ({ config: candidateLabel(c), gpus: String(c.gpus), reason: c.fitReason }))));
  }
  host.post({ type: 'rendered', candidates: r.candidates.length, points: view.points.length, front: view.front.length, charts });
}

host.listen((m) => {
  if (m?.type === 'tune') {
    // What a window reload needs to show this panel again (src/vscode/tune/tuneResultsPanel.ts serializer).
    host.setState({ file: m.view.file });
    render(m.view);
  } else if (m?.type === 'progress') {
    const p = app.querySelector('p.progress') ?? el('p', 'progress');
    p.textContent = m.text;
    if (m.text) app.prepend(p);
    else p.remove();
  } else if (m?.type === 'applied') {
    const p = el('p', 'applied', m.changed.length ? `Wrote ${m.changed.join(', ')} to ${m.file}.` : `${m.file} already had these settings (comment updated).`);
    app.querySelector('section.chosen')?.append(p);
  }
});
