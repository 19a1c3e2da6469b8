/**
 * Removes secrets from text that came from somewhere we do not control (server error bodies, model output, URLs)
 * before it is saved or shown: results, chat history and exports, output channels, error messages.
 * What is removed: every known secret given (API keys, HF token; ≥ 4 characters, wherever it appears, also
 * URL-encoded in either case, base64), URL userinfo (`scheme://user:pass@host` → `scheme://[REDACTED]@host`), `Bearer …`
 * credentials, an echoed `Authorization:` header's Bearer or Basic credentials (any case), and
 * strings shaped like Hugging Face tokens (`hf_` + 30+ alphanumerics, the format huggingface_hub issues).
 */
export const REDACTED = '[REDACTED]';

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{4,}/g;
// An echoed Authorization header in any case ("authorization: bearer …" from proxies that lowercase), Bearer or Basic
// (base64 of "user:password", RFC 7617). Only after the header name: "basic" alone is an English word, and this runs
// over model answers too (chat history).
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{4,}/gi;
const HF_TOKEN = /\bhf_[A-Za-z0-9]{30,}\b/g;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Redacts `text`; `secrets` may hold undefined entries (keys that are not set). */
export function redactText(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  const known = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 4))].sort((a, b) => b.length - a.length);
  for (const s of known) {
    // Also base64 (a server echoing our header re-encoded) and %-escapes in either case (RFC 3986 § 2.1: equivalent).
    const forms = [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1), Buffer.from(s).toString('base64')];
    for (const form of new Set(forms)) out = out.replace(new RegExp(escapeRe(form), form.includes('%') ? 'gi' : 'g'), REDACTED);
  }
  return out.replace(URL_USERINFO, `$1${REDACTED}@`).replace(AUTH_HEADER, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`).replace(HF_TOKEN, REDACTED);
}

/** Redacts every string (and object key) inside a JSON-like value; returns a new value, the input is not changed. */
export function redactDeep<T>(value: T, secrets: ReadonlyArray<string | undefined> = []): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, secrets), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * A base URL with credentials in it (`http://user:pass@host`) would be saved with every result and shown in every
 * message, so it is refused with the way to pass a key instead. Returns the URL unchanged otherwise.
 * Throws: Error naming the problem (never echoing the password).
 */
export function checkBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${redactText(url)}`);
  }
  if (u.username || u.password) throw new Error(`the base URL ${u.protocol}//${REDACTED}@${u.host}${u.pathname === '/' ? '' : u.pathname} carries credentials; give the API key separately (OPENAI_API_KEY / --api-key-env, or the endpoint's key in secret storage), never in the URL`);
  return url;
}
