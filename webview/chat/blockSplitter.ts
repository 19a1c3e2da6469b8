const FENCE = /^\s*(`{3,}|~{3,})/;

/**
 * Cuts streaming markdown into blocks that can no longer change: everything up to the last blank line that is not
 * inside a code fence. Each character is scanned once, so the total work is linear in the length of the answer.
 */
export class BlockSplitter {
  /** Text after the last completed block. */
  private buf = '';
  /** Start of the first line in buf not yet scanned. */
  private scan = 0;
  /** End of the last completed block within buf. */
  private boundary = 0;
  private fence: { ch: string; len: number } | undefined;

  /** Adds text; returns the newly completed blocks ('' when none). */
  push(text: string): string {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n', this.scan)) >= 0) {
      const line = this.buf.slice(this.scan, nl);
      const m = FENCE.exec(line);
      if (m) {
        const ch = m[1][0];
        if (!this.fence) this.fence = { ch, len: m[1].length };
        else if (ch === this.fence.ch && m[1].length >= this.fence.len && line.trim() === m[1]) this.fence = undefined;
      } else if (!this.fence && line.trim() === '') {
        this.boundary = nl + 1;
      }
      this.scan = nl + 1;
    }
    if (this.boundary === 0) return '';
    const done = this.buf.slice(0, this.boundary);
    this.buf = this.buf.slice(this.boundary);
    this.scan -= this.boundary;
    this.boundary = 0;
    return done;
  }

  /** The unfinished last block, re-rendered on every frame. */
  get tail(): string {
    return this.buf;
  }
}
