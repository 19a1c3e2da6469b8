import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockSplitter } from '../../webview/chat/blockSplitter';
import { createMarkdown } from '../../webview/chat/markdown';
import { MAX_MARKDOWN_BLOCK, StreamingMarkdown } from '../../webview/chat/streamingMarkdown';

// Fault kind 6 of issue 3/8 (bounded time on network input), in the chat view: a hostile 50 MB reasoning without a
// blank line must never freeze the view. The splitter scans each character once, and the streaming renderer's work
// per frame is what arrived in that frame once the unfinished block passes 64 KiB.

test('the block splitter is linear on a line that never ends: 20 MB costs about 10× 2 MB', () => {
  const time = (mb: number): number => {
    const s = new BlockSplitter();
    const piece = 'x'.repeat(10_000);
    const t0 = performance.now();
    for (let i = 0; i < mb * 100; i++) s.push(piece);
    assert.equal(s.tail.length, mb * 1_000_000);
    return performance.now() - t0;
  };
  time(2);
  const small = Math.min(time(2), time(2));
  const big = Math.min(time(20), time(20));
  // Quadratic (the old re-search from the line start) takes ~100× here; linear ~10×.
  assert.ok(big < small * 30 + 30, `2 MB ${small.toFixed(1)} ms, 20 MB ${big.toFixed(1)} ms`);
});

/** The few DOM calls StreamingMarkdown makes, recorded: this test is about how much it renders per frame. */
function fakeDocument(): void {
  const el = (): Record<string, unknown> => {
    const node: Record<string, unknown> = { className: '', style: {}, children: [] as unknown[], html: '' };
    node.append = (...c: unknown[]) => (node.children as unknown[]).push(...c);
    node.replaceChildren = (...c: unknown[]) => (node.children = c);
    node.insertAdjacentHTML = (_: string, h: string) => (node.html = `${node.html as string}${h}`);
    Object.defineProperty(node, 'innerHTML', { set: (h: string) => (node.html = h), get: () => node.html });
    Object.defineProperty(node, 'firstChild', { get: () => (node.children as unknown[])[0] });
    return node;
  };
  (globalThis as Record<string, unknown>).document = {
    createElement: el,
    createTextNode: (data: string) => ({ data, appendData(this: { data: string }, d: string) { this.data += d; } }),
  };
}

test('the chat renders a 50 MB unfinished reasoning block with bounded work per frame, as plain text past 64 KiB', () => {
  fakeDocument();
  const md = createMarkdown();
  let rendered = 0;
  let largest = 0;
  const render = md.render.bind(md);
  md.render = (src: string) => {
    rendered += src.length;
    largest = Math.max(largest, src.length);
    return render(src);
  };
  const view = new StreamingMarkdown(md, 'reasoning-body');
  const piece = 'thinking '.repeat(5_000); // 45 KB per frame
  const t0 = performance.now();
  let worstFrame = 0;
  for (let frame = 0; frame < 1_200; frame++) {
    const f0 = performance.now();
    view.append(piece);
    view.flush();
    worstFrame = Math.max(worstFrame, performance.now() - f0);
  }
  const total = performance.now() - t0;
  assert.ok(view.textLength > 50_000_000, `${view.textLength} chars streamed`);
  assert.ok(largest <= MAX_MARKDOWN_BLOCK, `markdown never ran on more than ${MAX_MARKDOWN_BLOCK} chars (largest ${largest})`);
  assert.ok(rendered < 4 * MAX_MARKDOWN_BLOCK, `markdown rendered ${rendered} chars in all`);
  assert.ok(worstFrame < 250 && total < 20_000, `worst frame ${worstFrame.toFixed(1)} ms, all ${total.toFixed(0)} ms`);
  // The text is all there, as text.
  const tail = (view.el as unknown as { children: { children: { children: { data: string }[] }[] }[] }).children[1].children[0].children[0];
  assert.equal(tail.data.length, view.textLength);
  // A blank line completes the block: the next block renders as markdown again.
  view.append('\n\n**bold** answer');
  view.flush();
  assert.match((view.el as unknown as { children: { html: string }[] }).children[1].html, /<strong>bold<\/strong>/);
});
