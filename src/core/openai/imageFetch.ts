import { httpErrorText, httpRequest } from './httpRequest';

const MAX_BYTES = 5 * 1024 * 1024;
// Raster types only: SVG can carry script and external references, and the webview shows this as a data: URL.
const TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

/**
 * A remote image from model output, fetched by the extension host after the user clicked "load" (the webview itself
 * may not connect anywhere). Size- and type-limited; returned as a data: URL the webview's CSP allows.
 */
export async function fetchImageDataUrl(src: string, timeoutMs = 10_000): Promise<string> {
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    throw new Error(`not a URL: ${src.slice(0, 100)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`only http(s) images are loaded, not ${url.protocol}`);
  const timeout = AbortSignal.timeout(timeoutMs);
  const failed = (e: unknown): Error => new Error(timeout.aborted ? `no complete answer in ${timeoutMs / 1000} s` : httpErrorText(e), { cause: e });
  const res = await httpRequest(url, { signal: timeout }).catch((e: unknown) => {
    throw failed(e);
  });
  const type = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (res.statusCode !== 200) {
    res.body.destroy();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  if (!TYPES.has(type)) {
    res.body.destroy();
    throw new Error(`not a raster image (${type || 'no content-type'})`);
  }
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res.body) {
      n += (c as Buffer).length;
      if (n > MAX_BYTES) throw new Error('larger than 5 MB');
      parts.push(c as Buffer);
    }
  } catch (e) {
    res.body.destroy();
    throw (e as Error).message === 'larger than 5 MB' ? e : failed(e);
  }
  return `data:${type};base64,${Buffer.concat(parts).toString('base64')}`;
}
