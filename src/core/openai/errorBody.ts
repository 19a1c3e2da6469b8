/**
 * The one error-body parser: the message of an OpenAI-compatible error response, from vLLM ≥ 0.10.1's nested
 * `{"error": {"message": …}}`, older vLLM's and SGLang's flat `{"message": …}` / `{"error": "…"}`, or the raw text
 * when the body is not JSON (a proxy's HTML page). At most 300 characters.
 */
export function errorBodyMessage(body: string): string {
  let msg = body.trim();
  try {
    const j = JSON.parse(msg) as { error?: { message?: string } | string | null; message?: string } | null;
    msg = (j && typeof j.error === 'object' && j.error ? j.error.message : typeof j?.error === 'string' ? j.error : undefined) ?? j?.message ?? msg;
  } catch {
    /* not JSON: keep the text */
  }
  return String(msg).slice(0, 300);
}
