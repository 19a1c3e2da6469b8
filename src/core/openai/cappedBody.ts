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
