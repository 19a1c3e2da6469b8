/**
 * Incremental Server-Sent Events parser. Network reads split and merge events arbitrarily, so bytes are buffered until
 * a blank line ends an event. Comment lines (":" pings) are ignored; "data:" works with or without the space.
 */
export class SseParser {
  private buf = '';
  private readonly decoder = new TextDecoder('utf-8');
  private data: string[] = [];

  /** Feed raw bytes (decoded incrementally, so a multi-byte character cut across reads survives) or text. */
  push(chunk: Uint8Array | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    let nl: number;
    while ((nl = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      const sepLen = this.buf.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for more input.
      if (sepLen === 1 && this.buf[nl] === '\r' && nl === this.buf.length - 1) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + sepLen);
      if (line === '') {
        if (this.data.length) events.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
      // Other fields (event:, id:, retry:) carry nothing OpenAI-compatible servers use.
    }
    return events;
  }

  /** At end of stream, an event without its final blank line still counts (some proxies drop it). */
  end(): string[] {
    const tail = this.push(this.decoder.decode());
    if (this.buf.startsWith('data:')) this.data.push(this.buf.slice(this.buf.startsWith('data: ') ? 6 : 5));
    this.buf = '';
    if (this.data.length) tail.push(this.data.join('\n'));
    this.data = [];
    return tail;
  }
}
