import { request } from 'undici';

export interface ServerInfo { engine: 'vllm' | 'sglang' | 'unknown'; version?: string; simulated: boolean; models: string[]; /** Each model's `root` (the weights it serves), where listed. */ roots?: string[] }

async function getJson(url: string, headers: Record<string, string>): Promise<{ status: number; json?: unknown; simulated: boolean }> {
  try {
    const r = await request(url, { headers, signal: AbortSignal.timeout(10_000) });
    const text = await r.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.statusCode, json, simulated: r.headers['x-deepseek-simulated'] === '1' };
  } catch (e) {
    throw new Error(`Cannot reach ${url}: ${(e as Error & { code?: string }).code ?? (e as Error).message}`, { cause: e });
  }
}

/** Which engine serves the endpoint and its version (/server_info is SGLang's; /version answers on both). */
export async function probeServer(baseUrl: string, apiKey?: string): Promise<ServerInfo> {
  const h: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const models = await getJson(`${baseUrl}/v1/models`, h);
  if (models.status !== 200) throw new Error(`${baseUrl}/v1/models answered HTTP ${models.status}`);
  const data = (models.json as { data?: { id?: string; root?: string }[] })?.data ?? [];
  const ids = data.map((m) => m.id).filter((x): x is string => typeof x === 'string');
  const roots = data.map((m) => (typeof m.root === 'string' ? m.root : (m.id ?? '')));
  const si = await getJson(`${baseUrl}/server_info`, h).catch(() => undefined);
  const ver = await getJson(`${baseUrl}/version`, h).catch(() => undefined);
  const version = (ver?.json as { version?: string } | undefined)?.version ?? (si?.json as { version?: string } | undefined)?.version;
  const simulated = models.simulated || typeof (ver?.json as { simulator?: string } | undefined)?.simulator === 'string';
  return { engine: si?.status === 200 ? 'sglang' : ver?.status === 200 ? 'vllm' : 'unknown', version, simulated, models: ids, roots };
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
