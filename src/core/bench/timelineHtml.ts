import type { RequestTrace } from './trace';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `--plot-timeline` as one self-contained HTML file (inline SVG, no script, no network): a row per request from its
 * send time — client queue (grey), waiting for the first token (blue), then each gap between chunks coloured by vLLM's
 * `--timeline-itl-thresholds` (below the first: green, between: orange, above the second: red; serve.py passes them to
 * vllm/benchmarks/plot.py generate_timeline_plot). Adjacent gaps of one colour are merged so the file stays small.
 * `thresholdsS` are in seconds.
 */
export function timelineHtml(traces: readonly RequestTrace[], thresholdsS: readonly [number, number], title: string): string {
  const sent = traces.filter((t) => t.startMs > 0);
  const t0 = Math.min(...sent.map((t) => t.startMs - t.queueMs));
  const tEnd = Math.max(...sent.map((t) => (t.chunks ? t.chunkTimes[t.chunks - 1] : t.startMs)));
  const spanS = Math.max(1e-3, (tEnd - t0) / 1000);
  const W = 1200;
  const rowH = 6;
  const left = 60;
  const x = (ms: number): number => left + (((ms - t0) / 1000) / spanS) * (W - left - 10);
  const rects: string[] = [];
  const color = (gapS: number): string => (gapS < thresholdsS[0] ? '#2e9d4a' : gapS < thresholdsS[1] ? '#f0a020' : '#d33a2c');
  sent.forEach((t, row) => {
    const y = 20 + row * rowH;
    const rect = (a: number, b: number, fill: string, tip: string): void => {
      rects.push(`<rect x="${x(a).toFixed(2)}" y="${y}" width="${Math.max(0.5, x(b) - x(a)).toFixed(2)}" height="${rowH - 1}" fill="${fill}"><title>${esc(tip)}</title></rect>`);
    };
    if (t.queueMs > 0) rect(t.startMs - t.queueMs, t.startMs, '#bbbbbb', `request ${t.index}: client queue ${t.queueMs.toFixed(1)} ms`);
    if (!t.chunks) {
      rect(t.startMs, t.startMs + 1, '#000000', `request ${t.index}: ${t.error ?? 'no token'}`);
      return;
    }
    rect(t.startMs, t.chunkTimes[0], '#3b6fd8', `request ${t.index}: TTFT ${(t.chunkTimes[0] - t.startMs).toFixed(1)} ms, ${t.promptLen} prompt tokens`);
    let segStart = t.chunkTimes[0];
    let segColor = '';
    for (let i = 1; i < t.chunks; i++) {
      const c = color((t.chunkTimes[i] - t.chunkTimes[i - 1]) / 1000);
      if (segColor && c !== segColor) {
        rect(segStart, t.chunkTimes[i - 1], segColor, `request ${t.index}: decode`);
        segStart = t.chunkTimes[i - 1];
      }
      segColor = c;
    }
    if (segColor) rect(segStart, t.chunkTimes[t.chunks - 1], segColor, `request ${t.index}: decode, ${t.chunks} chunks`);
  });
  const H = 40 + sent.length * rowH;
  const ticks: string[] = [];
  const step = Math.max(0.001, niceStep(spanS / 10));
  for (let s = 0; s <= spanS + 1e-9; s += step) ticks.push(`<line x1="${x(t0 + s * 1000)}" y1="12" x2="${x(t0 + s * 1000)}" y2="${H - 18}" stroke="#eee"/><text x="${x(t0 + s * 1000)}" y="10" font-size="9" text-anchor="middle">${+s.toFixed(3)} s</text>`);
  const ms = (v: number): string => `${+(v * 1000).toFixed(3)} ms`;
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:13px system-ui,sans-serif;margin:16px}.k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}</style></head>
<body><h3>${esc(title)}</h3>
<div><span class="k" style="background:#bbbbbb"></span>client queue<span class="k" style="background:#3b6fd8"></span>time to first token<span class="k" style="background:#2e9d4a"></span>ITL &lt; ${ms(thresholdsS[0])}<span class="k" style="background:#f0a020"></span>${ms(thresholdsS[0])}–${ms(thresholdsS[1])}<span class="k" style="background:#d33a2c"></span>&gt; ${ms(thresholdsS[1])}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${ticks.join('')}${rects.join('')}</svg>
<p>${sent.length} requests over ${spanS.toFixed(2)} s. Hover a bar for its numbers.</p></body></html>
`;
}

function niceStep(x: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  const m = x / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
