// chat ui tier, part 2: the thinking control and tool calls in the chat webview (real workbench in code-server,
// headless Chromium) against a simulated DeepSeek-V4-Flash on vLLM with its reasoning and tool parsers, and an R1
// (no thinking switch). The simulator's --request-log shows what the chat really sent: the thinking fields, the
// tool_calls / tool messages on Continue, and V4's reasoning passback. Screenshots in test-results/chat-thinking-*.png.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const assert = require('node:assert/strict');
const { ROOT, startCodeServer, launchBrowser, makeWorkspace, freePort } = require('../infra/codeServer');
const { createSteps, palette, exitWith } = require('./uiHarness');
const { startSimulator, chatFrame, send, addEndpoint, pressUntil } = require('./chatHarness');

const OUT = path.join(ROOT, 'test-results');
const { step, summary } = createSteps();

const XSS = `<img src=x onerror="document.body.dataset.pwned='tool-args'">`;
const REPLIES = [
  { match: 'hello there', reasoning: 'A greeting. I will answer briefly and kindly.', answer: 'Hello! How can I help with your deployment?' },
  { match: 'weather in paris', reasoning: 'The user wants the weather. I should call get_weather for Paris.', answer: 'It is 18 °C and sunny in Paris.' },
];
// The model fills the arguments from the schema: `note` can only be the enum value, which is an HTML payload.
const TOOLS = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' }, note: { type: 'string', enum: [XSS] } }, required: ['city', 'note'] } } }];

/** The chat's own "Add Endpoint" button: the toolbar's once an endpoint exists, the empty state's before. */
const addButton = (frame) => frame.locator('button.add-endpoint:visible, .empty button:has-text("Add Endpoint"):visible').first();

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-chat-thinking-ui-'));
  const repliesFile = path.join(tmp, 'replies.json');
  fs.writeFileSync(repliesFile, JSON.stringify(REPLIES));
  const log = path.join(tmp, 'requests.jsonl');
  const requests = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).body) : []);
  const v4Port = await freePort();
  const r1Port = await freePort();
  const timing = ['--startup-speed', '1000', '--exact-ttft-ms', '200', '--exact-itl-ms', '15', '--replies', repliesFile];
  const v4 = await startSimulator([...timing, '--request-log', log], ['vllm', 'serve', 'deepseek-ai/DeepSeek-V4-Flash', '--tensor-parallel-size', '8', '--tokenizer-mode', 'deepseek_v4', '--reasoning-parser', 'deepseek_v4', '--tool-call-parser', 'deepseek_v4', '--enable-auto-tool-choice', '--port', String(v4Port)]);
  const r1 = await startSimulator(timing, ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1', '--port', String(r1Port)]);
  const ws = makeWorkspace({});
  const cs = await startCodeServer({ workspace: ws, installExtension: true });
  const ctx = await launchBrowser(cs.tmp);
  const page = ctx.pages()[0] || (await ctx.newPage());
  let failed = false;
  console.log('chat ui tier (thinking + tools): simulated V4-Flash with parsers, request log checked');
  try {
    await page.goto(`http://${cs.host}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    let frame;
    const thinking = () => frame.locator('select.thinking-picker');
    const last = () => frame.locator('.msg.assistant').last();
    const done = (a) => a.locator('.msg-foot .stats', { hasText: 'tok/s' }).waitFor({ timeout: 30_000 });
    /** Sends a prompt and waits for its own answer to finish (not the previous one's). */
    const ask = async (text) => {
      const n = await frame.locator('.msg.assistant').count();
      const logged = requests().length;
      await send(frame, text);
      const a = frame.locator('.msg.assistant').nth(n);
      await a.waitFor({ timeout: 10_000 });
      await done(a);
      assert.equal(requests().length, logged + 1, 'one request per prompt');
      return a;
    };

    await step('V4-Flash endpoint: a labelled thinking control offers off / high / max, starting at the model\'s default (high)', async () => {
      await page.locator('.activitybar [aria-label^="DeepSeek"]').first().click({ timeout: 90_000 });
      await palette(page, 'DeepSeek: Open Chat in Editor');
      frame = await chatFrame(page);
      await addEndpoint(page, frame, addButton(frame), v4Port, 'DeepSeek-V4-Flash');
      await thinking().waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await thinking().getAttribute('aria-label'), 'Thinking level for this endpoint');
      assert.deepEqual(await thinking().locator('option').allInnerTexts(), ['Thinking off', 'Think high', 'Think max']);
      assert.equal(await thinking().inputValue(), 'high');
    });

    await step('thinking off (chosen with the keyboard): the request says thinking false and the answer has no reasoning block; a state the host posted before applying the pick does not put "high" back', async () => {
      // The host's state messages as they arrive: the one that answers the pick is replayed below as a stale one.
      await frame.evaluate(() => window.addEventListener('message', (e) => { if (e.data?.type === 'state') (window.__states ??= []).push(e.data); }));
      // A focused <select> moves to its first option ("Thinking off") on Home.
      const valueIs = (want) => frame.waitForFunction((w) => document.querySelector('select.thinking-picker').value === w, want, { timeout: 3000 }).then(() => true, () => false);
      await pressUntil(thinking(), 'Home', () => valueIs('off'), 'the thinking picker');
      await frame.waitForFunction(() => (window.__states ?? []).some((m) => m.choiceSeen >= 1 && m.thinking?.level === 'off'), null, { timeout: 10_000 });
      await frame.evaluate(() => { const m = window.__states.find((s) => s.thinking?.level === 'off'); window.postMessage({ ...m, choiceSeen: 0, thinking: { ...m.thinking, level: 'high' } }, '*'); });
      await page.waitForTimeout(300);
      assert.equal(await thinking().inputValue(), 'off', 'a state from before the pick does not undo it');
      await ask('hello there');
      assert.equal(await last().locator('.answer').innerText(), 'Hello! How can I help with your deployment?');
      assert.equal(await last().locator('details.reasoning').isHidden(), true, 'no reasoning block when thinking is off');
      const body = requests().at(-1);
      assert.deepEqual(body.chat_template_kwargs, { thinking: false });
      assert.equal(body.temperature, 1, 'V4 recommended sampling: temperature 1.0');
      assert.equal(body.top_p, 1);
      await page.screenshot({ path: path.join(OUT, 'chat-thinking-off.png') });
    });

    await step('thinking max: the request carries reasoning_effort max and the reasoning shows, folded once the answer starts', async () => {
      await thinking().selectOption('max');
      await page.waitForTimeout(300);
      const shown = await thinking().inputValue();
      await ask('hello there');
      assert.deepEqual(requests().at(-1).chat_template_kwargs, { thinking: true, reasoning_effort: 'max' }, `picker showed ${shown}; requests: ${JSON.stringify(requests().map((r) => r.chat_template_kwargs))}`);
      assert.equal(await last().locator('details.reasoning').isVisible(), true);
      assert.match(await last().locator('details.reasoning summary').innerText(), /^Thought for \d+\.\d s · \d+ tokens$/);
      await last().locator('details.reasoning summary').click();
      assert.match(await last().locator('.reasoning-body').innerText(), /A greeting\. I will answer briefly/);
    });

    await step('the level is kept per endpoint: R1 (always thinks) shows no control; back on V4 it is still max', async () => {
      await addEndpoint(page, frame, addButton(frame), r1Port, 'DeepSeek-R1');
      await thinking().waitFor({ state: 'hidden', timeout: 10_000 });
      const v4Option = frame.locator('select.endpoint-picker option', { hasText: `DeepSeek-V4-Flash @ 127.0.0.1:${v4Port}` });
      await frame.locator('select.endpoint-picker').selectOption(await v4Option.getAttribute('value'));
      await thinking().waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await thinking().inputValue(), 'max');
    });

    await step('tools JSON in the settings: a bad edit is refused with the field named; a valid one is kept', async () => {
      await frame.locator('button.settings-toggle').click();
      const box = frame.locator('textarea.tools-json');
      await box.fill('[{"type": "function", "function": {"name": "get weather"}}]');
      await box.blur();
      const err = frame.locator('.tools-error[role="alert"]');
      await err.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await err.innerText(), /^tools\[0\]\.function\.name: letters, digits, _ and - only/);
      assert.equal(await box.getAttribute('aria-invalid'), 'true');
      await box.fill(JSON.stringify(TOOLS));
      await box.blur();
      await err.waitFor({ state: 'hidden', timeout: 10_000 });
      await thinking().selectOption('high');
      await page.waitForTimeout(300);
    });

    let callReasoning;
    await step('a tool call shows as a collapsible block (name, arguments as text, never HTML); the result is entered and Continue streams the answer', async () => {
      await frame.evaluate(() => {
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await send(frame, 'weather in paris');
      const call = last().locator('details.tool-call');
      await call.waitFor({ timeout: 30_000 });
      assert.equal(await call.evaluate((d) => d.open), true, 'open while it waits for a result');
      assert.equal(await call.locator('summary .tool-name').innerText(), 'get_weather');
      const args = JSON.parse(await call.locator('pre.tool-args').innerText());
      assert.deepEqual(args, { city: 'Paris', note: XSS });
      const probe = await frame.evaluate(() => ({ pwned: document.body.dataset.pwned || null, imgs: document.querySelectorAll('.transcript img').length, csp: window.__csp.slice() }));
      assert.deepEqual(probe, { pwned: null, imgs: 0, csp: [] }, 'the HTML in the arguments is text');
      assert.equal(await last().locator('details.reasoning summary').innerText(), 'Reasoning before the tool call');
      callReasoning = await last().locator('.reasoning-body').textContent();
      assert.match(callReasoning, /I should call get_weather for Paris/);
      const cont = last().locator('button.tool-continue');
      assert.equal(await cont.isDisabled(), true, 'Continue waits for a result');
      await page.screenshot({ path: path.join(OUT, 'chat-thinking-tool-call.png') });
      // Collapsible: the summary folds it (keyboard: Enter on the focused summary).
      const isOpen = (want) => call.evaluate((d, w) => new Promise((r) => { const t = Date.now(); const poll = () => (d.open === w || Date.now() - t > 3000 ? r(d.open === w) : setTimeout(poll, 50)); poll(); }), want);
      await pressUntil(call.locator('summary'), 'Enter', () => isOpen(false), 'the tool call\'s summary');
      await pressUntil(call.locator('summary'), 'Enter', () => isOpen(true), 'the tool call\'s summary');
      const result = call.locator('textarea.tool-result-input');
      assert.equal(await result.getAttribute('aria-label'), 'Result of get_weather');
      await result.fill('{"temp_c": 18, "sky": "sunny"}');
      assert.equal(await cont.isDisabled(), false);
      const before = await frame.locator('.msg.assistant').count();
      await cont.click();
      await frame.locator('.msg.assistant').nth(before).waitFor({ timeout: 10_000 });
      await done(last());
      assert.equal(await last().locator('.answer').innerText(), 'It is 18 °C and sunny in Paris.');
      const answered = frame.locator('.msg.assistant').nth(before - 1).locator('details.tool-call');
      assert.equal(await answered.locator('.tool-done').innerText(), '· result sent');
      assert.equal(await answered.locator('pre.tool-result').textContent(), '{"temp_c": 18, "sky": "sunny"}');
      assert.equal(await answered.locator('textarea').count(), 0);
      await page.screenshot({ path: path.join(OUT, 'chat-thinking-continued.png') });
    });

    await step('request log: Continue sent the assistant tool_calls with its reasoning (V4 with tools) and a tool message; the next user turn keeps every turn\'s reasoning', async () => {
      const cont = requests().at(-1);
      assert.deepEqual(cont.tools, TOOLS);
      assert.deepEqual(cont.chat_template_kwargs, { thinking: true, reasoning_effort: 'high' });
      const msgs = cont.messages;
      const call = msgs.at(-2);
      assert.equal(call.role, 'assistant');
      assert.equal(call.tool_calls.length, 1);
      assert.equal(call.tool_calls[0].function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { city: 'Paris', note: XSS });
      assert.equal(call.reasoning, REPLIES[1].reasoning, 'the reasoning shown before the call went back with it');
      assert.ok(callReasoning.includes(call.reasoning));
      assert.equal(call.reasoning_content, call.reasoning);
      assert.deepEqual(msgs.at(-1), { role: 'tool', tool_call_id: call.tool_calls[0].id, content: '{"temp_c": 18, "sky": "sunny"}' });
      // Earlier turns: the max-level answer's reasoning goes back too, since tools are now defined (V4 keeps it).
      assert.ok(msgs.some((m) => m.role === 'assistant' && /A greeting\. I will answer briefly/.test(m.reasoning ?? '')), JSON.stringify(msgs.map((m) => [m.role, m.reasoning])));
      // A new user turn: every assistant turn with reasoning sends it back, the tool loop included.
      await send(frame, 'hello there');
      await last().locator('details.tool-call').waitFor({ timeout: 30_000 });
      const next = requests().at(-1).messages;
      const withReasoning = next.filter((m) => m.role === 'assistant' && m.reasoning);
      assert.ok(withReasoning.length >= 3, `the call turn, its continuation and the max answer: ${withReasoning.length}`);
      assert.ok(withReasoning.some((m) => /It is 18 °C/.test(m.content)));
      // Without tools V4 gets no reasoning back: clear the tools and ask again.
      const box = frame.locator('textarea.tools-json');
      await box.fill('');
      await box.blur();
      await page.waitForTimeout(500);
      await ask('hello there');
      const plain = requests().at(-1);
      assert.equal(plain.tools, undefined);
      assert.ok(plain.messages.every((m) => m.reasoning === undefined && m.reasoning_content === undefined));
    });
  } catch (e) {
    failed = true;
    console.log(`  stopped: ${String((e && e.message) || e).split('\n')[0]}`);
    await page.screenshot({ path: path.join(OUT, 'chat-thinking-failure.png') }).catch(() => {});
  } finally {
    await ctx.close().catch(() => {});
    await cs.stop(failed);
    v4.kill('SIGTERM');
    r1.kill('SIGTERM');
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  summary('chat ui tier (thinking + tools)', failed, cs.logFile);
  return failed ? 1 : 0;
}

exitWith(main());
