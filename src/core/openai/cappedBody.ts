import { errorBodyMessage } from './errorBody';
import type { Readable } from 'node:stream';

/**
 * Reads at most `maxBytes` of an HTTP body and then drops the connection (`destroy`), so an endless or huge body
 * (a hostile 500 page, a 400 MB /v1/models) costs at most `maxBytes` of memory and no more reading time.
 * Returns the text kept (UTF-8; a character cut at the cap becomes U+FFFD) and whether the body was longer.
 */
export async function readCappedBody(body: Readable, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const parts: Buffer[] = [];
  let n = 0;
  let truncated = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = maxBytes - n;
    if (chunk.length >= room) {
      parts.push(chunk.subarray(0, room));
      n += room;
      // One more byte than the cap is enough to know the body is longer; exactly the cap at the end is fine.
      truncated = chunk.length > room;
      if (truncated) break;
      continue;
    }
    parts.push(chunk);
    n += chunk.length;
  }
  if (truncated) body.destroy();
  return { text: Buffer.concat(parts, n).toString('utf8'), truncated };
}

/** "HTTP 404: The model `x` does not exist." from a flat or nested OpenAI/vLLM/SGLang error body (errorBodyMessage). */
export function httpErrorMessage(status: number, body: string): string {
  return `HTTP ${status}: ${errorBodyMessage(body)}`;
}

/** How much of a 200 body that is not an event stream the chat keeps for `noTokenChunkMessage` (bytes). */
export const NOT_SSE_BODY_BYTES = 300;

/**
 * Server text as it may appear in an error line: whitespace folded to one space, and control and format characters
 * (C0/C1 such as ESC, bidi overrides, zero-width marks: Unicode Cc and Cf) shown as U+FFFD, so a hostile body or
 * header cannot put terminal escape sequences into the CLI's output and result files, nor reorder the line it lands in.
 */
function shownServerText(s: string): string {
  return s.replace(/\s+/g, ' ').trim().replace(/[\p{Cc}\p{Cf}]/gu, '\uFFFD');
}

/**
 * The error for a 200 response that carried no token chunk, with why when the server did not stream: vLLM's sentence
 * first (benchmark results group failures by message, and `--compat vllm` runs match vLLM's), then the content-type,
 * e.g. a proxy that answers `application/json` because it drops `stream: true`, or an HTML login page. `contentType`
 * undefined: the response had none. `bodyStart` (the chat passes it; the benchmark does not, since a body with a
 * per-request id would make every failure a group of its own) is shown whitespace-folded, cut at 200 characters. An
 * event stream (`text/event-stream`) keeps vLLM's sentence alone.
 */
export function noTokenChunkMessage(contentType: string | undefined, bodyStart = ''): string {
  const base = 'Never received a valid chunk to calculate TTFT.';
  if (contentType !== undefined && /^\s*text\/event-stream/i.test(contentType)) return base;
  const body = shownServerText(bodyStart).slice(0, 200);
  const ct = shownServerText(contentType ?? '').slice(0, 80);
  return `${base} The server answered 200 with ${ct ? `content-type ${ct}` : 'no content-type'}, not an event stream (does this endpoint stream? a proxy in between may drop "stream": true)${body ? `: ${body}` : ''}`;
}
