import { csvCell, markdownCell } from '../security/exportEscape';
/** Tables of saved results (vLLM's JSON keys), shared by the results panel and its CSV/Markdown export. */
export type Result = Record<string, unknown>;

export const SUMMARY_ROWS: [string, string][] = [
  ['Successful requests', 'completed'],
  ['Failed requests', 'failed'],
  ['Maximum request concurrency', 'max_concurrency'],
  ['Request rate (RPS)', 'request_rate'],
  ['Benchmark duration (s)', 'duration'],
  ['Total input tokens', 'total_input_tokens'],
  ['Total generated tokens', 'total_output_tokens'],
  ['Request throughput (req/s)', 'request_throughput'],
  ['Request goodput (req/s)', 'request_goodput'],
  ['Output token throughput (tok/s)', 'output_throughput'],
  ['Peak output token throughput (tok/s)', 'max_output_tokens_per_s'],
  ['Peak concurrent requests', 'max_concurrent_requests'],
  ['Total token throughput (tok/s)', 'total_token_throughput'],
  ['Total reasoning tokens', 'total_reasoning_tokens'],
  ['Total answer tokens', 'total_answer_tokens'],
  ['Counting mode', 'deepseek_deploy.counting'],
];

const METRICS: [string, string][] = [['TTFT', 'ttft'], ['TPOT', 'tpot'], ['ITL', 'itl'], ['E2EL', 'e2el'], ['Client queue time', 'client_queue_time'], ['TTFO', 'ttfo'], ['Thinking time', 'thinking_time']];

/** r[key], or a nested value for a dotted key (`deepseek_deploy.counting`; runs saved before it existed say "truth"). */
function pick(r: Result, key: string): unknown {
  if (!key.includes('.')) return r[key];
  const [a, b] = key.split('.');
  const v = (r[a] as Record<string, unknown> | undefined)?.[b];
  return v ?? (key === 'deepseek_deploy.counting' && r[a] ? 'truth' : undefined);
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Rows of [label, value per run] for the summary; the reasoning rows only when some run has them. */
export function summaryTable(results: readonly Result[]): string[][] {
  return SUMMARY_ROWS.filter(([, key]) => !(key === 'total_reasoning_tokens' || key === 'total_answer_tokens') || results.some((r) => key in r)).map(([label, key]) => [label, ...results.map((r) => fmt(pick(r, key)))]);
}

/** Rows for one metric's statistics present in any result: mean, median, std, then every pNN. */
export function percentileTable(results: readonly Result[], metric: string): string[][] {
  const keys = new Set<string>();
  const stat = new RegExp(`^(mean|median|std|p[\\d.]+)_${metric}_ms$`);
  for (const r of results) for (const k of Object.keys(r)) if (stat.test(k)) keys.add(k);
  const order = (k: string): number => (k.startsWith('mean') ? 0 : k.startsWith('median') ? 1 : k.startsWith('std') ? 2 : 3 + Number(k.slice(1, k.indexOf('_'))));
  return [...keys].sort((a, b) => order(a) - order(b)).map((k) => [`${k.slice(0, k.indexOf('_'))} ${METRICS.find(([, m]) => m === metric)?.[0] ?? metric} (ms)`, ...results.map((r) => fmt(r[k]))]);
}

export const METRIC_KEYS = METRICS;

export function toCsv(names: readonly string[], results: readonly Result[]): string {
  const rows = [['metric', ...names], ...summaryTable(results), ...METRICS.flatMap(([, m]) => percentileTable(results, m))];
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export function toMarkdown(names: readonly string[], results: readonly Result[]): string {
  const table = (rows: string[][]): string => [`| Metric | ${names.map(markdownCell).join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`, ...rows.map((r) => `| ${r.map(markdownCell).join(' | ')} |`)].join('\n');
  const parts = ['# Benchmark results', '', table(summaryTable(results))];
  for (const [title, m] of METRICS) {
    const rows = percentileTable(results, m);
    if (rows.length) parts.push('', `## ${title}`, '', table(rows));
  }
  const sim = results.some((r) => (r.deepseek_deploy as { simulated?: boolean } | undefined)?.simulated);
  if (sim) parts.push('', '_Measured against the DeepSeek Deploy simulator, not a GPU engine._');
  return parts.join('\n') + '\n';
}
