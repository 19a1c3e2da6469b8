import { request } from 'undici';

/** GET /v1/models: the served model names (and whether our simulator serves them), or an error a user can act on. */
export async function listModels(baseUrl: string, apiKey?: string, timeoutMs = 10_000): Promise<{ models: string[]; simulated: boolean }> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/models`;
  let res;
  try {
    res = await request(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { code?: string };
    throw new Error(`Cannot reach ${url}: ${err.name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : (err.code ?? err.message)}`, { cause: e });
  }
  const text = await res.body.text();
  if (res.statusCode === 401 || res.statusCode === 403) throw new Error(`${url} refused the API key (HTTP ${res.statusCode})`);
  if (res.statusCode !== 200) throw new Error(`${url} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  let ids: string[];
  try {
    const j = JSON.parse(text) as { data?: { id?: unknown }[] };
    ids = (j.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === 'string');
  } catch (e) {
    throw new Error(`${url} did not answer with JSON; is this an OpenAI-compatible server?`, { cause: e });
  }
  if (ids.length === 0) throw new Error(`${url} lists no models`);
  return { models: ids, simulated: res.headers['x-deepseek-simulated'] === '1' };
}
