const FENCE = /^\s*(`{3,}|~{3,})/;

/**
 * Cuts streaming markdown into blocks that can no longer change: everything up to the last blank line that is not
 * inside a code fence. Only the new text is searched for newlines and each line is examined once, when it ends, so
 * the total work is linear in the length of the answer, even for a line that never ends (no re-scan, and the
 * unfinished line is never flattened into one string until it ends).
 */
export class BlockSplitter {
  /** Completed lines of the unfinished block, newlines included. */
  private parts: string[] = [];
  private partsLen = 0;
  /** The line still being received. */
  private line = '';
  private fence: { ch: string; len: number } | undefined;

  /** Adds text; returns the newly completed blocks ('' when none). */
  push(text: string): string {
    let done = '';
    let from = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', from)) >= 0) {
      const line = this.line + text.slice(from, nl);
      this.line = '';
      from = nl + 1;
      this.parts.push(line, '\n');
      this.partsLen += line.length + 1;
      const m = FENCE.exec(line);
      if (m) {
        const ch = m[1][0];
        if (!this.fence) this.fence = { ch, len: m[1].length };
        else if (ch === this.fence.ch && m[1].length >= this.fence.len && line.trim() === m[1]) this.fence = undefined;
      } else if (!this.fence && line.trim() === '') {
        done += this.parts.join('');
        this.parts = [];
        this.partsLen = 0;
      }
    }
    this.line += from === 0 ? text : text.slice(from);
    return done;
  }

  /** The unfinished last block (built on each call: O(its length)). */
  get tail(): string {
    return this.parts.join('') + this.line;
  }

  /** Length of `tail`, in O(1). */
  get tailLength(): number {
    return this.partsLen + this.line.length;
  }
}
