import type MarkdownIt from 'markdown-it';
import { BlockSplitter } from './blockSplitter';
import { highlightWithin } from './codeHighlight';

/**
 * Markdown that grows while it streams: completed blocks are rendered once and appended; only the unfinished last
 * block is re-rendered on each frame. A new token therefore never re-renders the transcript, or even the message.
 */
export class StreamingMarkdown {
  readonly el: HTMLDivElement;
  private readonly frozen: HTMLDivElement;
  private readonly tail: HTMLDivElement;
  private readonly split = new BlockSplitter();
  private incoming = '';
  private length = 0;

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
    const done = this.split.push(this.incoming);
    this.incoming = '';
    // markdown-it runs with html off: its output is escaped text and our own tags only.
    if (done.trim()) {
      this.frozen.insertAdjacentHTML('beforeend', this.md.render(done));
      highlightWithin(this.frozen); // finished blocks only; already highlighted ones are skipped
    }
    const tail = this.split.tail;
    this.tail.innerHTML = tail ? this.md.render(tail) : '';
  }

  /** The message ended: its last block will not change any more, so its code gets highlighted too. */
  settle(): void {
    this.flush();
    highlightWithin(this.tail);
  }
}
