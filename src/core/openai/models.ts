import { request } from 'undici';
import { normalizeBaseUrl } from './baseUrl';

/** Why GET /v1/models did not give a model list; `status` is the HTTP status when the server answered at all. */
export class ModelsError extends Error {
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelsError';
  }
}

/**
 * The one GET /v1/models client (launch readiness, Add Endpoint, CLI chat): the served model ids and whether our
 * simulator serves them (`x-deepseek-simulated: 1`). undici's request, not fetch: WHATWG fetch refuses "bad ports"
 * (1, 6000, 6665–6669, 10080, …) on which a user's server may well listen.
 * Throws ModelsError: unreachable (no status), 401/403 (the key), any other non-200 (status set, body's start), not
 * JSON, or an empty list.
 */
export async function listModels(baseUrl: string, apiKey?: string, timeoutMs = 10_000): Promise<{ models: string[]; simulated: boolean }> {
  const url = `${normalizeBaseUrl(baseUrl)}/v1/models`;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { code?: string };
    throw new ModelsError(`Cannot reach ${url}: ${err.name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : (err.code ?? err.message)}`, undefined, { cause: e });
  }
  const status = res.statusCode;
  const text = await readCapped(res.body, url, status);
  if (status === 401 || status === 403) throw new ModelsError(`${url} refused the API key (HTTP ${status})`, status);
  if (status !== 200) throw new ModelsError(`${url} answered HTTP ${status}: ${text.slice(0, 200)}`, status);
  let ids: string[];
  try {
    const j = JSON.parse(text) as { data?: { id?: unknown }[] };
    ids = (j.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === 'string');
  } catch (e) {
    throw new ModelsError(`${url} did not answer with JSON; is this an OpenAI-compatible server?`, status, { cause: e });
  }
  if (ids.length === 0) throw new ModelsError(`${url} lists no models`, status);
  return { models: ids, simulated: res.headers['x-deepseek-simulated'] === '1' };
}

const MAX_BODY = 1 << 20;

/** A model list is a few hundred bytes: stop reading past 1 MiB, so a hostile server cannot make us hold more. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, url: string, status: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > MAX_BODY) {
      body.destroy();
      throw new ModelsError(`${url} answered more than ${MAX_BODY} bytes; is this an OpenAI-compatible server?`, status);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
