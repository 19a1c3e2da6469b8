// chat ui tier: Playwright drives the DeepSeek chat webview inside the real workbench (code-server) against our
// simulator, started with scripted replies so the test knows exactly what the "model" says. Screenshots in
// test-results/chat-*.png.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const http = require('node:http');
const assert = require('node:assert/strict');
const { ROOT, startCodeServer, launchBrowser, makeWorkspace, freePort } = require('../infra/codeServer');
const { createSteps, palette, exitWith } = require('./uiHarness');
const { startSimulator: startSim, chatFrame, send, addEndpoint } = require('./chatHarness');

const OUT = path.join(ROOT, 'test-results');
const { step, summary } = createSteps();

// A 1×1 PNG the sentinel server serves; any request to it is counted with its path.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
function startSentinel(port) {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
    res.end(PNG);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ hits, close: () => server.close() })));
}

function replies(sentinel) {
  const long = Array.from({ length: 60 }, (_, i) => `Point ${i + 1}: keep streaming so that Stop has something to cut.`).join('\n\n');
  return [
    {
      match: 'markdown please',
      reasoning: 'The user wants a formatted answer. I will use a heading, a list, bold text and a code block. ' + 'Let me lay it out step by step. '.repeat(6),
      answer: ['## Deployment checklist', '', 'First, a **bold claim** about `tensor-parallel-size`.', '', ...Array.from({ length: 8 }, (_, i) => `${i + 1}. Item number ${i + 1} with *emphasis* and more words to stream.`), '', '```bash', 'vllm serve deepseek-ai/DeepSeek-R1 --tensor-parallel-size 8', '```', '', 'See [the vLLM docs](https://docs.vllm.ai/en/latest/) for details.'].join('\n'),
    },
    { match: 'long answer', reasoning: 'Short thought.', answer: long },
    {
      match: 'xss corpus',
      reasoning: `Thinking with <img src=x onerror="document.body.dataset.pwned='reasoning-img'"> and <script>document.body.dataset.pwned='reasoning-script'</script>.`,
      answer: [
        `<img src=x onerror="document.body.dataset.pwned='img'">`,
        '',
        `<script>document.body.dataset.pwned='script'</script>`,
        '',
        `<a href="javascript:document.body.dataset.pwned='raw-a'">raw anchor</a> and [md js link](javascript:document.body.dataset.pwned='md-a') and <iframe src="http://127.0.0.1:${sentinel}/iframe"></iframe>`,
        '',
        '```html',
        `<img src="http://127.0.0.1:${sentinel}/in-fence.png" onerror="document.body.dataset.pwned='fence'">`,
        '```',
        '',
        `Remote image: ![tracker](http://127.0.0.1:${sentinel}/pixel.png)`,
        '',
        `<style>body{background:url(http://127.0.0.1:${sentinel}/css.png)}</style>`,
        '',
        'A [real link](https://example.com/page) to confirm.',
      ].join('\n'),
    },
  ];
}

function startSimulator(port, file) {
  return startSim(['--startup-speed', '1000', '--exact-ttft-ms', '300', '--exact-itl-ms', '25', '--replies', file], ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1', '--port', String(port)]);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-chat-ui-'));
  const simPort = await freePort();
  const sentinelPort = await freePort();
  const sentinel = await startSentinel(sentinelPort);
  const repliesFile = path.join(tmp, 'replies.json');
  fs.writeFileSync(repliesFile, JSON.stringify(replies(sentinelPort)));
  let sim = await startSimulator(simPort, repliesFile);
  const ws = makeWorkspace({});
  const cs = await startCodeServer({ workspace: ws, installExtension: true });
  const ctx = await launchBrowser(cs.tmp);
  // Every request any frame makes is seen here: none may go to the sentinel, and no webview frame may reach off-box.
  // (The workbench itself queries the extension gallery; that is VS Code's, not ours.)
  const offBox = [];
  await ctx.route('**/*', (route) => {
    const req = route.request();
    const u = new URL(req.url());
    let frameUrl = '';
    try { frameUrl = req.frame().url(); } catch { /* service worker */ }
    const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.protocol === 'data:' || u.protocol === 'blob:';
    if (u.port === String(sentinelPort) || (!local && /webview/.test(frameUrl))) offBox.push(`${u} (from ${frameUrl})`);
    return route.continue();
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  let failed = false;
  console.log('chat ui tier: chat webview in code-server + headless Chromium, simulator with scripted replies');
  try {
    await page.goto(`http://${cs.host}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    let frame;

    await step('Open Chat in Editor → empty state → "Add Endpoint…" with a URL; the endpoint is picked', async () => {
      await page.locator('.activitybar [aria-label^="DeepSeek"]').first().click({ timeout: 30_000 });
      await palette(page, 'DeepSeek: Open Chat in Editor');
      frame = await chatFrame(page);
      await addEndpoint(page, frame, frame.locator('.empty button', { hasText: 'Add Endpoint' }), simPort, 'DeepSeek-R1');
      assert.equal(await frame.locator('button.send').isDisabled(), false);
    });

    await step('a prompt streams: "Thinking…" open while reasoning, markdown rendered while the answer streams, reasoning folds with "Thought for … tokens", expands on click', async () => {
      await send(frame, 'markdown please');
      const answer = frame.locator('.msg.assistant').last();
      await answer.locator('details.reasoning[open] summary', { hasText: 'Thinking…' }).waitFor({ timeout: 10_000 });
      assert.ok(await answer.evaluate((e) => e.classList.contains('streaming')));
      await page.screenshot({ path: path.join(OUT, 'chat-thinking.png') });
      // Markdown elements exist while the message is still streaming (not only at the end).
      await answer.locator('.answer h2', { hasText: 'Deployment checklist' }).waitFor({ timeout: 15_000 });
      await answer.locator('.answer strong', { hasText: 'bold claim' }).waitFor({ timeout: 10_000 });
      const midStream = await answer.evaluate((e) => ({ streaming: e.classList.contains('streaming'), open: e.querySelector('details.reasoning').open, li: e.querySelectorAll('.answer li').length }));
      assert.equal(midStream.streaming, true, 'markdown must render while streaming');
      assert.equal(midStream.open, false, 'reasoning collapses once the answer starts');
      assert.ok(midStream.li < 8, `the list is still growing (${midStream.li} items so far)`);
      await page.screenshot({ path: path.join(OUT, 'chat-streaming-markdown.png') });
      await answer.locator('.msg-foot .stats', { hasText: 'tok/s' }).waitFor({ timeout: 30_000 });
      assert.match(await answer.locator('details.reasoning summary').innerText(), /^Thought for \d+\.\d s · \d+ tokens$/);
      assert.match(await answer.locator('.msg-foot .stats').innerText(), /^TTFT \d+ ms · [\d.]+ tok\/s · \d+ → \d+ tokens$/);
      assert.equal(await answer.locator('.answer li').count(), 8);
      assert.equal(await answer.locator('.code-block button.copy-code').count(), 1);
      await answer.locator('details.reasoning summary').click();
      assert.equal(await answer.locator('details.reasoning').evaluate((d) => d.open), true);
      assert.match(await answer.locator('.reasoning-body').innerText(), /formatted answer/);
      await page.screenshot({ path: path.join(OUT, 'chat-done-expanded.png') });
    });

    await step('a link in the answer opens only through a VS Code confirmation showing the URL', async () => {
      await frame.locator('.msg.assistant').last().locator('a.ext-link', { hasText: 'the vLLM docs' }).click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 10_000 });
      assert.match(await dialog.innerText(), /Open a link from the model's answer\?[\s\S]*https:\/\/docs\.vllm\.ai\/en\/latest\//);
      await page.screenshot({ path: path.join(OUT, 'chat-link-confirm.png') });
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    });

    await step('Stop cuts the answer; the partial text is kept and marked; Retry is offered', async () => {
      await send(frame, 'long answer');
      const answer = frame.locator('.msg.assistant').last();
      await answer.locator('.answer p', { hasText: 'Point 3' }).waitFor({ timeout: 15_000 });
      await frame.locator('button.send.stop').click();
      await answer.locator('.msg-foot .mark', { hasText: 'Stopped · partial answer' }).waitFor({ timeout: 10_000 });
      const paras = await answer.locator('.answer p').count();
      assert.ok(paras >= 3 && paras < 60, `partial answer kept (${paras} of 60 paragraphs)`);
      await answer.locator('button.regenerate', { hasText: 'Retry' }).waitFor();
      await page.waitForTimeout(500);
      assert.equal(await answer.locator('.answer p').count(), paras, 'nothing arrives after Stop');
      await page.screenshot({ path: path.join(OUT, 'chat-stopped.png') });
    });

    await step('XSS corpus in reasoning and answer runs no script and loads nothing (sentinel, request interception, CSP events); an image loads only on click, via the extension host', async () => {
      await frame.evaluate(() => {
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const hitsBefore = sentinel.hits.length;
      await send(frame, 'xss corpus');
      const answer = frame.locator('.msg.assistant').last();
      await answer.locator('.msg-foot .stats', { hasText: 'tok/s' }).waitFor({ timeout: 60_000 });
      await answer.locator('details.reasoning summary').click();
      await page.waitForTimeout(1000);
      // Try the links a user might click: the markdown javascript: link is text, not a link.
      assert.equal(await answer.locator('a', { hasText: 'md js link' }).count(), 0);
      assert.equal(await answer.locator('a', { hasText: 'raw anchor' }).count(), 0);
      const probe = await frame.evaluate(() => ({
        pwned: document.body.dataset.pwned || null,
        imgs: document.querySelectorAll('.transcript img').length,
        scripts: document.querySelectorAll('.transcript script, .transcript iframe, .transcript style').length,
        csp: window.__csp.slice(),
        escaped: document.querySelector('.msg.assistant:last-of-type .answer').textContent.includes('<img src=x onerror='),
      }));
      assert.equal(probe.pwned, null, 'no payload ran');
      assert.equal(probe.imgs, 0);
      assert.equal(probe.scripts, 0);
      assert.deepEqual(probe.csp, [], 'nothing was even attempted (no CSP violations)');
      assert.equal(probe.escaped, true, 'raw HTML shows as text');
      assert.equal(sentinel.hits.length, hitsBefore, `no request reached the sentinel: ${sentinel.hits.join(', ')}`);
      assert.deepEqual(offBox, []);
      await page.screenshot({ path: path.join(OUT, 'chat-xss.png') });
      // Control: the listener and CSP are live — an image injected from outside the renderer is blocked and reported.
      await frame.evaluate((p) => { const i = document.createElement('img'); i.src = `http://127.0.0.1:${p}/control.png`; document.body.append(i); }, sentinelPort);
      await page.waitForTimeout(500);
      const csp = await frame.evaluate(() => window.__csp.slice());
      assert.ok(csp.some((v) => v.startsWith('img-src') && v.includes('/control.png')), `CSP blocked the control image: ${csp}`);
      assert.equal(sentinel.hits.length, hitsBefore);
      // Click-to-load: the host fetches it and hands the webview a data: URL.
      await answer.locator('button.remote-image', { hasText: 'tracker' }).click();
      await answer.locator('img.loaded-image').waitFor({ timeout: 10_000 });
      assert.deepEqual(sentinel.hits.slice(hitsBefore), ['/pixel.png']);
      assert.match(await answer.locator('img.loaded-image').getAttribute('src'), /^data:image\/png;base64,/);
      assert.equal(await frame.evaluate(() => document.body.dataset.pwned || null), null);
    });

    await step('history survives a real window reload (from workspace storage) and exports as Markdown', async () => {
      const before = await frame.locator('.transcript .msg').count();
      await palette(page, 'Developer: Reload Window');
      await page.waitForTimeout(2000);
      await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
      await page.locator('.activitybar [aria-label^="DeepSeek"]').first().waitFor({ timeout: 60_000 });
      await palette(page, 'DeepSeek: Open Chat in Editor');
      frame = await chatFrame(page);
      await frame.locator('.transcript .msg').nth(before - 1).waitFor({ timeout: 20_000 });
      assert.equal(await frame.locator('.transcript .msg').count(), before);
      assert.equal(await frame.locator('.msg.state-stopped .mark', { hasText: 'Stopped' }).count(), 1);
      assert.match(await frame.locator('.msg.assistant').first().locator('details.reasoning summary').innerText(), /^Thought for/);
      assert.equal(await frame.locator('.msg.assistant').first().locator('details.reasoning').evaluate((d) => d.open), false);
      await page.screenshot({ path: path.join(OUT, 'chat-after-reload.png') });
      await frame.locator('button.export').click();
      const editor = page.locator('.editor-instance .view-lines').first();
      await editor.waitFor({ timeout: 10_000 });
      await page.locator('.editor-instance .view-lines', { hasText: '## Assistant · deepseek-ai/DeepSeek-R1 (simulated)' }).first().waitFor({ timeout: 10_000 });
    });

    await step('an endpoint error shows inline in the answer and can be retried once the server is back', async () => {
      sim.kill('SIGKILL');
      await new Promise((r) => sim.once('exit', r));
      await palette(page, 'DeepSeek: Open Chat in Editor');
      frame = await chatFrame(page);
      await send(frame, 'markdown please');
      const answer = frame.locator('.msg.assistant').last();
      const err = answer.locator('.error[role="alert"]');
      await err.waitFor({ timeout: 15_000 });
      assert.match(await err.innerText(), new RegExp(`Cannot reach http://127\\.0\\.0\\.1:${simPort}: ECONNREFUSED`));
      await page.screenshot({ path: path.join(OUT, 'chat-endpoint-error.png') });
      sim = await startSimulator(simPort, repliesFile);
      await answer.locator('button.regenerate', { hasText: 'Retry' }).click();
      await frame.locator('.msg.assistant').last().locator('.msg-foot .stats', { hasText: 'tok/s' }).waitFor({ timeout: 30_000 });
      assert.equal(await frame.locator('.msg.assistant').last().locator('.error').count(), 0);
    });
  } catch {
    failed = true;
    await page.screenshot({ path: path.join(OUT, 'chat-failure.png') }).catch(() => {});
  } finally {
    await ctx.close().catch(() => {});
    await cs.stop(failed);
    sim.kill('SIGTERM');
    sentinel.close();
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  summary('chat ui tier', failed, cs.logFile);
  return failed ? 1 : 0;
}

exitWith(main());
