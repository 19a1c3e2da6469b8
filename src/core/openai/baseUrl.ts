/**
 * The one base-URL normaliser for OpenAI-compatible servers: accepts what users paste ("http://h:8000",
 * "http://h:8000/", "http://h:8000/v1", "https://gw/prefix/v1/") and returns the base without a trailing slash or
 * "/v1" ("http://h:8000", "https://gw/prefix"); API paths are appended to it. Throws Error("… is not an http(s) URL")
 * for anything else.
 */
export function normalizeBaseUrl(raw: string): string {
  const s = raw.trim();
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new Error(`"${s}" is not an http(s) URL (expected e.g. http://127.0.0.1:8000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`"${s}" is not an http(s) URL (expected e.g. http://127.0.0.1:8000)`);
  return s.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\/v1$/, '');
}
