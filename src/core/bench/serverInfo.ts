import { httpErrorText, httpRequest } from '../openai/httpRequest';
import { readCappedBody } from '../openai/cappedBody';
import { fetchModels } from '../openai/models';
import { MAX_ERROR_BODY_BYTES } from '../openai/streamLimits';

export interface ServerInfo { engine: 'vllm' | 'sglang' | 'unknown'; version?: string; simulated: boolean; models: string[]; /** Each model's `root` (the weights it serves), where listed. */ roots?: string[] }

/** A small JSON GET (/server_info, /version): at most 64 KiB read, 10 s, cancellable by `signal`. */
async function getJson(url: string, headers: Record<string, string>, signal?: AbortSignal, insecure?: boolean): Promise<{ status: number; json?: unknown; simulated: boolean }> {
  const timeout = AbortSignal.timeout(10_000);
  try {
    const r = await httpRequest(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, insecure });
    const { text } = await readCappedBody(r.body, MAX_ERROR_BODY_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.statusCode, json, simulated: r.headers['x-deepseek-simulated'] === '1' };
  } catch (e) {
    throw new Error(`Cannot reach ${url}: ${timeout.aborted ? 'no complete answer in 10 s' : httpErrorText(e)}`, { cause: e });
  }
}

/** Which engine serves the endpoint and its version (/server_info is SGLang's; /version answers on both). */
export async function probeServer(baseUrl: string, apiKey?: string, signal?: AbortSignal, insecure?: boolean): Promise<ServerInfo> {
  const h: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const models = await fetchModels(baseUrl, { apiKey, signal, insecure });
  if (models.status !== 200) throw new Error(`${baseUrl}/v1/models answered ${models.error ?? `HTTP ${models.status}`}`);
  const si = await getJson(`${baseUrl}/server_info`, h, signal, insecure).catch(() => undefined);
  const ver = await getJson(`${baseUrl}/version`, h, signal, insecure).catch(() => undefined);
  if (signal?.aborted) throw new Error('Benchmark cancelled while probing the server.');
  const version = (ver?.json as { version?: string } | undefined)?.version ?? (si?.json as { version?: string } | undefined)?.version;
  const simulated = models.simulated || typeof (ver?.json as { simulator?: string } | undefined)?.simulator === 'string';
  return { engine: si?.status === 200 ? 'sglang' : ver?.status === 200 ? 'vllm' : 'unknown', version, simulated, models: models.models, roots: models.roots };
}

export interface MetricsSample { t: number; running?: number; waiting?: number; kvUsage?: number }

const NAMES: Record<keyof Omit<MetricsSample, 't'>, string[]> = {
  running: ['vllm:num_requests_running', 'sglang:num_running_reqs'],
  waiting: ['vllm:num_requests_waiting', 'sglang:num_queue_reqs'],
  kvUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc', 'sglang:token_usage'],
};

/** Prometheus text → the three gauges a serving benchmark needs (summed over label sets, e.g. DP ranks). */
export function parseServerMetrics(text: string, t: number): MetricsSample {
  const out: MetricsSample = { t };
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const name = line.slice(0, line.search(/[{ ]/));
    for (const [k, names] of Object.entries(NAMES) as [keyof typeof NAMES, string[]][]) {
      if (!names.includes(name)) continue;
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(v)) out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}
