import { httpErrorText, httpRequest } from './httpRequest';
import { httpErrorMessage, readCappedBody } from './cappedBody';
import { normalizeBaseUrl } from './baseUrl';

/** Why GET /v1/models did not give a model list; `status` is the HTTP status when the server answered at all. */
export class ModelsError extends Error {
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelsError';
  }
}

/** Largest /v1/models answer read: 8 MiB (a list of models is a few KiB; a hostile server may send gigabytes). */
export const MAX_MODELS_BYTES = 8 * 1024 * 1024;

export interface ModelsAnswer {
  readonly status: number;
  /** Served model ids (empty when the status is not 200). */
  readonly models: string[];
  /** Our simulator answered (header x-deepseek-simulated: 1). */
  readonly simulated: boolean;
  /** "HTTP 500: <the server's message>" when the status is not 200. */
  readonly error?: string;
  /** Each listed model's `root` (the weights it serves, vLLM), else its id; same order as `models`. */
  readonly roots?: string[];
}

/**
 * GET {baseUrl}/v1/models — the one client for it (launch readiness, chat endpoint discovery, benchmark probe), over
 * node:http (httpRequest: no "bad ports" refused, no WebAssembly parser to compile). Bounded: at most
 * `MAX_MODELS_BYTES` read, `timeoutMs` in all (default 10 s), and `signal` cancels it at once. Errors say what to do.
 */
export async function fetchModels(baseUrl: string, opts: { apiKey?: string; signal?: AbortSignal; timeoutMs?: number; insecure?: boolean } = {}): Promise<ModelsAnswer> {
  const url = `${normalizeBaseUrl(baseUrl)}/v1/models`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let status: number;
  let text: string;
  let simulated: boolean;
  try {
    const res = await httpRequest(url, { headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}, signal, insecure: opts.insecure });
    status = res.statusCode;
    simulated = res.headers['x-deepseek-simulated'] === '1';
    const body = await readCappedBody(res.body, MAX_MODELS_BYTES);
    if (body.truncated) throw new Error(`${url} answered more than ${MAX_MODELS_BYTES / 1048576} MiB; a model list is a few KiB. Is this an OpenAI-compatible server?`);
    text = body.text;
  } catch (e) {
    if (opts.signal?.aborted) throw new Error(`Cancelled while asking ${url}`, { cause: e });
    if (timeout.aborted) throw new Error(`Cannot reach ${url}: no complete answer in ${timeoutMs / 1000} s`, { cause: e });
    const err = e as Error & { code?: string };
    if (err.message.startsWith(url)) throw err;
    throw new Error(`Cannot reach ${url}: ${httpErrorText(err)}`, { cause: e });
  }
  if (status !== 200) return { status, models: [], simulated, error: httpErrorMessage(status, text) };
  let listed: { id: string; root: string }[];
  try {
    const j = JSON.parse(text) as { data?: { id?: unknown; root?: unknown }[] };
    listed = (Array.isArray(j.data) ? j.data : []).filter((m) => typeof m?.id === 'string').map((m) => ({ id: m.id as string, root: typeof m.root === 'string' ? m.root : (m.id as string) }));
  } catch (e) {
    throw new ModelsError(`${url} did not answer with JSON; is this an OpenAI-compatible server?`, status, { cause: e });
  }
  return { status, models: listed.map((m) => m.id), roots: listed.map((m) => m.root), simulated };
}

/**
 * GET /v1/models: the served model names, their roots and whether our simulator serves them. Throws ModelsError:
 * unreachable (no status), 401/403 (the key), any other non-200 (status set, the body's message), or an empty list.
 */
export async function listModels(baseUrl: string, apiKey?: string, timeoutMs = 10_000, signal?: AbortSignal): Promise<{ models: string[]; roots: string[]; simulated: boolean }> {
  const url = `${normalizeBaseUrl(baseUrl)}/v1/models`;
  let r: ModelsAnswer;
  try {
    r = await fetchModels(baseUrl, { apiKey, timeoutMs, signal });
  } catch (e) {
    throw new ModelsError((e as Error).message, undefined, { cause: e });
  }
  if (r.status === 401 || r.status === 403) throw new ModelsError(`${url} refused the API key (HTTP ${r.status})`, r.status);
  if (r.status !== 200) throw new ModelsError(`${url} answered ${r.error ?? `HTTP ${r.status}`}`, r.status);
  if (r.models.length === 0) throw new ModelsError(`${url} lists no models`, r.status);
  return { models: r.models, roots: r.roots ?? r.models, simulated: r.simulated };
}

