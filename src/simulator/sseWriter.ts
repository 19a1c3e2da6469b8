import type * as http from 'node:http';
import type { Socket } from 'node:net';

/**
 * Writes one SSE event per HTTP chunk, as uvicorn does for vLLM and SGLang. Node's `res.write` corks the socket and
 * flushes three buffers with one writev on the next tick; at 25k chunks/s that deferred flush is the simulator's largest
 * cost and hides the real write time from the engine clock. When the response is chunked (every HTTP/1.1 client),
 * this frames the chunk itself and writes it to the socket at once; the bytes on the wire are the same.
 */
export class SseWriter {
  private readonly socket: Socket | undefined;

  constructor(private readonly res: http.ServerResponse) {
    res.flushHeaders();
    const chunked = (res as http.ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding === true;
    this.socket = chunked && res.socket ? res.socket : undefined;
  }

  /** `json` is the already serialized event payload. */
  event(json: string): void {
    this.raw(`data: ${json}\n\n`);
  }

  /** Ends the stream with `data: [DONE]` (and the terminating zero-length chunk, written by Node). */
  done(): void {
    this.raw('data: [DONE]\n\n');
    this.res.end();
  }

  private raw(payload: string): void {
    if (this.res.destroyed) return;
    if (this.socket) this.socket.write(`${Buffer.byteLength(payload).toString(16)}\r\n${payload}\r\n`);
    else this.res.write(payload);
  }
}
