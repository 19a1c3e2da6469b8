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
 * simulator serves them (`x-deepseek-simulated: 1`). Node's built-in fetch, so it loads in any bundle.
 * Throws ModelsError: unreachable (no status), 401/403 (the key), any other non-200 (status set, body's start), not
 * JSON, or an empty list.
 */
export async function listModels(baseUrl: string, apiKey?: string, timeoutMs = 10_000): Promise<{ models: string[]; simulated: boolean }> {
  const url = `${normalizeBaseUrl(baseUrl)}/v1/models`;
  let res: Response;
  try {
    res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new ModelsError(`Cannot reach ${url}: ${err.name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : (err.cause?.code ?? err.message)}`, undefined, { cause: e });
  }
  const text = await readCapped(res, url);
  if (res.status === 401 || res.status === 403) throw new ModelsError(`${url} refused the API key (HTTP ${res.status})`, res.status);
  if (res.status !== 200) throw new ModelsError(`${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
  let ids: string[];
  try {
    const j = JSON.parse(text) as { data?: { id?: unknown }[] };
    ids = (j.data ?? []).map((m) => m.id).filter((x): x is string => typeof x === 'string');
  } catch (e) {
    throw new ModelsError(`${url} did not answer with JSON; is this an OpenAI-compatible server?`, res.status, { cause: e });
  }
  if (ids.length === 0) throw new ModelsError(`${url} lists no models`, res.status);
  return { models: ids, simulated: res.headers.get('x-deepseek-simulated') === '1' };
}

const MAX_BODY = 1 << 20;

/** A model list is a few hundred bytes: stop reading past 1 MiB, so a hostile server cannot make us hold more. */
async function readCapped(res: Response, url: string): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > MAX_BODY) {
      await reader.cancel();
      throw new ModelsError(`${url} answered more than ${MAX_BODY} bytes; is this an OpenAI-compatible server?`, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
