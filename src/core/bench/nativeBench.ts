import type { CommandRunner } from '../launch/deployment';

/** An engine's own benchmark printout, read into the fields our results panel shows. Values as printed (ms, s, tok/s). */
export interface NativeResult {
  readonly tool: 'vllm bench serve' | 'sglang.bench_serving' | 'sglang.bench_one_batch';
  /** "Successful requests" → successful_requests, "Mean TTFT (ms)" → mean_ttft_ms, "P99 ITL (ms)" → p99_itl_ms … */
  readonly fields: Record<string, number | string>;
  /** bench_one_batch: one entry per run (warm-up, then each measured run). */
  readonly runs?: { prefillLatencyS: number; prefillTokPerS: number; decodeMedianLatencyS?: number; decodeMedianTokPerS?: number; totalLatencyS?: number; totalTokPerS?: number; decodeSteps: { latencyS: number; tokPerS: number }[] }[];
  readonly raw: string;
}

const KEY_MAP: Record<string, string> = {
  'Total Token throughput (tok/s)': 'total_token_throughput',
  'Total token throughput (tok/s)': 'total_token_throughput',
  'Output token throughput (tok/s)': 'output_throughput',
  'Request throughput (req/s)': 'request_throughput',
  'Request goodput (req/s)': 'request_goodput',
  'Benchmark duration (s)': 'duration',
  'Successful requests': 'completed',
  'Failed requests': 'failed',
  'Total input tokens': 'total_input_tokens',
  'Total generated tokens': 'total_output_tokens',
  'Peak output token throughput (tok/s)': 'max_output_tokens_per_s',
  'Peak concurrent requests': 'max_concurrent_requests',
  'Maximum request concurrency': 'max_concurrency',
  'Max request concurrency': 'max_concurrency',
  'Request rate configured (RPS)': 'request_rate',
  'Traffic request rate': 'request_rate',
  'Input token throughput (tok/s)': 'input_throughput',
};

/** "Mean TTFT (ms)" → mean_ttft_ms; "P99 E2E Latency (ms)" → p99_e2el_ms (vLLM's JSON names). */
function metricKey(label: string): string | undefined {
  const m = /^(Mean|Median|P[\d.]+|Max) (TTFT|TPOT|ITL|E2EL|E2E Latency) \(ms\)$/.exec(label);
  if (!m) return undefined;
  const metric = m[2] === 'E2E Latency' ? 'e2el' : m[2].toLowerCase();
  return `${m[1].toLowerCase()}_${metric}_ms`;
}

/** Reads whichever printout the text holds: the "Serving Benchmark Result" block (vLLM or SGLang) or bench_one_batch lines. */
export function parseNativePrintout(text: string): NativeResult {
  const clean = text.replace(/\r/g, '');
  const block = /=+ Serving Benchmark Result =+\n([\s\S]*?)\n=+\s*(\n|$)/.exec(clean);
  if (block) {
    const fields: Record<string, number | string> = {};
    for (const line of block[1].split('\n')) {
      const m = /^([^:]+):\s+(\S.*?)\s*$/.exec(line);
      if (!m) continue;
      const key = KEY_MAP[m[1]] ?? metricKey(m[1]) ?? m[1].toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
      const n = Number(m[2]);
      fields[key] = Number.isFinite(n) ? n : m[2];
    }
    const tool = /^Backend:/m.test(block[1]) ? 'sglang.bench_serving' : 'vllm bench serve';
    return { tool, fields, raw: block[0] };
  }
  const runs: NonNullable<NativeResult['runs']> = [];
  let cur: NonNullable<NativeResult['runs']>[number] | undefined;
  for (const line of clean.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^Prefill\. latency: ([\d.]+) s, throughput:\s+([\d.]+) token\/s/.exec(line))) {
      cur = { prefillLatencyS: Number(m[1]), prefillTokPerS: Number(m[2]), decodeSteps: [] };
      runs.push(cur);
    } else if (cur && (m = /^Decode\.\s+median latency: ([\d.]+) s, median throughput:\s+([\d.]+) token\/s/.exec(line))) {
      cur.decodeMedianLatencyS = Number(m[1]);
      cur.decodeMedianTokPerS = Number(m[2]);
    } else if (cur && (m = /^Decode(?: \d+)?\.\s+(?:Batch size: \d+, )?latency: ([\d.]+) s, throughput:\s+([\d.]+) token\/s/.exec(line))) {
      cur.decodeSteps.push({ latencyS: Number(m[1]), tokPerS: Number(m[2]) });
    } else if (cur && (m = /^Total\. latency:\s+([\d.]+) s, throughput:\s+([\d.]+) token\/s/.exec(line))) {
      cur.totalLatencyS = Number(m[1]);
      cur.totalTokPerS = Number(m[2]);
    }
  }
  if (runs.length === 0) throw new Error('no benchmark result in the output (neither a "Serving Benchmark Result" block nor bench_one_batch lines)');
  // The last run is the measured one (bench_one_batch warms up first).
  const last = runs[runs.length - 1];
  const fields: Record<string, number> = { prefill_latency_s: last.prefillLatencyS, prefill_throughput: last.prefillTokPerS };
  if (last.decodeMedianLatencyS !== undefined) {
    fields.decode_median_latency_s = last.decodeMedianLatencyS;
    fields.decode_median_throughput = last.decodeMedianTokPerS ?? 0;
    fields.median_tpot_ms = last.decodeMedianLatencyS * 1000;
  }
  if (last.totalLatencyS !== undefined) {
    fields.total_latency_s = last.totalLatencyS;
    fields.total_throughput = last.totalTokPerS ?? 0;
  }
  return { tool: 'sglang.bench_one_batch', fields, runs, raw: clean };
}

/**
 * Runs an engine's own benchmark where the engine is (on the host, or `docker exec` into its container) through the
 * same runner that launches engines, streams its output, and parses the printout.
 */
export async function runNativeBenchmark(runner: CommandRunner, argv: readonly string[], opts: { container?: string; onOutput?: (s: string) => void; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<NativeResult> {
  const full = opts.container ? ['docker', 'exec', opts.container, ...argv] : [...argv];
  const r = await runner.exec(full, { onStdout: opts.onOutput, onStderr: opts.onOutput, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 6 * 3600_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.code !== 0) {
    const tail = out.trim().split('\n').slice(-5).join('\n');
    throw new Error(`\`${argv.slice(0, 4).join(' ')} …\` exited with ${r.code ?? r.signal}:\n${tail}`);
  }
  return parseNativePrintout(out);
}
