import type MarkdownIt from 'markdown-it';
import { BlockSplitter } from './blockSplitter';
import { highlightWithin } from './codeHighlight';

/**
 * Largest block rendered as markdown (64 KiB of text). Past it, the unfinished tail is shown as plain text and only
 * the characters that arrived since the last frame are appended, so a hostile or runaway stream (50 MB of reasoning
 * without a blank line, an unclosed code fence) costs each frame what it added, never a re-render of megabytes.
 */
export const MAX_MARKDOWN_BLOCK = 64 * 1024;

/**
 * Markdown that grows while it streams: completed blocks are rendered once and appended; only the unfinished last
 * block is re-rendered on each frame, and only while it is at most `MAX_MARKDOWN_BLOCK` long. A new token therefore
 * never re-renders the transcript, or even the message, and a frame's work is bounded whatever the server sends.
 */
export class StreamingMarkdown {
  readonly el: HTMLDivElement;
  private readonly frozen: HTMLDivElement;
  private readonly tail: HTMLDivElement;
  private readonly split = new BlockSplitter();
  private incoming = '';
  private length = 0;
  /** While the tail is too long for markdown: the text node new text is appended to. */
  private plain: Text | undefined;

  constructor(private readonly md: MarkdownIt, className: string) {
    this.el = document.createElement('div');
    this.el.className = `md ${className}`;
    this.frozen = document.createElement('div');
    this.tail = document.createElement('div');
    this.el.append(this.frozen, this.tail);
  }

  get textLength(): number {
    return this.length;
  }

  append(text: string): void {
    this.incoming += text;
    this.length += text.length;
  }

  /** Renders what arrived since the last call. */
  flush(): void {
    if (!this.incoming) return;
    const text = this.incoming;
    const done = this.split.push(text);
    this.incoming = '';
    // markdown-it runs with html off: its output is escaped text and our own tags only.
    if (done.trim()) {
      if (done.length <= MAX_MARKDOWN_BLOCK) {
        this.frozen.insertAdjacentHTML('beforeend', this.md.render(done));
        highlightWithin(this.frozen); // finished blocks only; already highlighted ones are skipped
      } else this.frozen.append(plainBlock(done));
    }
    if (this.split.tailLength <= MAX_MARKDOWN_BLOCK) {
      this.plain = undefined;
      const tail = this.split.tail;
      this.tail.innerHTML = tail ? this.md.render(tail) : '';
      return;
    }
    if (this.plain && !done) {
      // Still the same oversized block: it grew by exactly this text.
      this.plain.appendData(text);
      return;
    }
    const block = plainBlock(this.split.tail);
    this.plain = block.firstChild as Text;
    this.tail.replaceChildren(block);
  }

  /** The message ended: its last block will not change any more, so its code gets highlighted too. */
  settle(): void {
    this.flush();
    highlightWithin(this.tail);
  }
}

/** A block too long for markdown, as plain text (a text node: nothing in it is parsed as HTML). */
function plainBlock(text: string): HTMLDivElement {
  const div = document.createElement('div');
  div.className = 'md-plain';
  div.style.whiteSpace = 'pre-wrap';
  div.append(document.createTextNode(text));
  return div;
}
