import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockSplitter } from '../../webview/chat/blockSplitter';
import { createMarkdown } from '../../webview/chat/markdown';

// The chat renders completed blocks once and re-renders only the unfinished tail; these check that doing so gives
// the same HTML as rendering the whole answer, wherever the stream is cut.
const ANSWER = [
  'Here is a concise answer with **bold** and `code`.',
  '',
  '### Steps',
  '',
  'Paragraph two spans',
  'two lines.',
  '',
  '```python',
  'def f():',
  '',
  '    return 1  # a blank line above, inside the fence',
  '```',
  '',
  '~~~',
  '```not a close',
  '',
  '~~~',
  '',
  '> a quote',
  '',
  'Done: see https://example.com/docs.',
  '',
].join('\n');

function cuts(text: string, seed: number): string[] {
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const n = 1 + (s % 7);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

test('streamed blocks rendered one by one equal the whole answer rendered at once, for 200 different cuttings', () => {
  const md = createMarkdown();
  const whole = md.render(ANSWER);
  for (let seed = 1; seed <= 200; seed++) {
    const sp = new BlockSplitter();
    let html = '';
    let text = '';
    for (const piece of cuts(ANSWER, seed)) {
      const done = sp.push(piece);
      text += done;
      if (done.trim()) html += md.render(done);
    }
    assert.equal(text + sp.tail, ANSWER);
    html += sp.tail ? md.render(sp.tail) : '';
    assert.equal(html, whole, `cutting seed ${seed}`);
  }
});

test('a blank line inside an open code fence never completes a block (the code block stays one <pre>)', () => {
  const sp = new BlockSplitter();
  assert.equal(sp.push('```bash\necho 1\n\n'), '');
  assert.equal(sp.push('echo 2\n\n'), '');
  assert.equal(sp.push('```\n\nnext'), '```bash\necho 1\n\necho 2\n\n```\n\n');
  assert.equal(sp.tail, 'next');
});

test('model output cannot inject HTML: raw tags are escaped text, javascript: links are not links, images are click-to-load buttons', () => {
  const md = createMarkdown();
  const html = md.render([
    '<img src=x onerror="window.top.__xss=1">',
    '<script>window.__xss=1</script>',
    '[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [ok](https://example.com/a?b=1&c=2)',
    '![tracker](https://evil.example/pixel.png)',
    '```html\n<script>alert(1)</script>\n```',
  ].join('\n\n'));
  assert.doesNotMatch(html, /<img|<script|<iframe/i);
  assert.match(html, /&lt;img src=x onerror=/);
  assert.doesNotMatch(html, /\shref="(?!#")/, 'every anchor href is "#": navigation goes through the extension');
  assert.doesNotMatch(html, /data-href="(javascript|data):/);
  assert.match(html, /<a href="#" data-href="https:\/\/example.com\/a\?b=1&amp;c=2" class="ext-link"/);
  assert.match(html, /<button type="button" class="remote-image" data-src="https:\/\/evil.example\/pixel.png"[^>]*>Load image: tracker <span class="image-host">\(evil.example\)/);
  assert.match(html, /<div class="code-block">.*<button type="button" class="copy-code"/s);
  assert.match(html, /<code class="language-html">&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});
