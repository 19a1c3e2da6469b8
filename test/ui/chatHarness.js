// Shared by the chat UI files (chatui tier): a simulator started from the built CLI, the chat webview's frame, and
// sending a prompt and adding an endpoint the way a user does.
'use strict';
const path = require('node:path');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { ROOT } = require('../infra/codeServer');
const { enterInput, openUntilShown } = require('./uiHarness');

/** `deepseek-deploy simulate SIM_ARGS -- ENGINE_ARGS`; resolves once the engine says it is up. */
async function startSimulator(simArgs, engineArgs) {
  const cli = path.join(ROOT, 'dist/cli.js');
  const p = spawn(process.execPath, [cli, 'simulate', ...simArgs, '--', ...engineArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => { out += d; if (/Application startup complete/.test(out)) resolve(); });
    p.on('exit', (c) => reject(new Error(`simulator exited ${c}: ${out}`)));
  });
  p.removeAllListeners('exit');
  p.stdout.resume();
  return p;
}

/** The chat webview's inner frame (VS Code nests webviews two iframes deep). */
async function chatFrame(page, timeout = 30_000) {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    // The editor panel's frame, once it is shown: the sidebar's chat view is a second frame, about 270 px wide; the
    // panel's composer is far wider. A hidden (not yet revealed) panel has no box, so keep polling until it shows.
    for (const f of page.frames()) {
      const el = await f.$('main#app.chat .composer').catch(() => null);
      const box = el ? await el.boundingBox().catch(() => null) : null;
      if (box && box.width > 450) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('chat webview frame not found');
}

/**
 * Types `text` into the composer and presses Enter, as a user sends a prompt. A chat editor just opened or revealed
 * draws its composer before the host's state (its endpoints) arrives, and until then Enter is ignored with the text
 * kept (webview/chat/main.ts: no endpoint, no send; Send stays disabled): wait for Send to be enabled and idle first
 * (seen on a loaded machine: the prompt sat unsent in the box). Throws when Enter did not send (the box keeps the text).
 */
async function send(frame, text) {
  await frame.locator('button.send:not(.stop):enabled').waitFor({ timeout: 30_000 });
  const input = frame.locator('textarea.prompt');
  await input.fill(text);
  await input.press('Enter');
  for (let i = 0; i < 50 && (await input.inputValue()) !== ''; i++) await frame.page().waitForTimeout(200);
  assert.equal(await input.inputValue(), '', 'Enter in the composer did not send the prompt');
}

/**
 * Clicks `button` in a chat webview. Playwright's click waits for the element to be stable over two animation frames;
 * once in CI (chatui tier, 2026-12-01) the chat editor's frame ran no animation frames for 30 s although its button
 * was laid out and shown (Chromium throttles rendering in an iframe it thinks hidden), and the click never happened.
 * After 10 s the click is dispatched to the element itself, which is what the webview's handler listens for, and a
 * screenshot of that moment is kept (test-results/NAME-unstable.png) to find out what covered the frame.
 */
async function clickInWebview(page, button, name) {
  try {
    await button.click({ timeout: 10_000 });
  } catch (e) {
    console.log(`    (${name}: the click waited 10 s for a stable element: ${String(e.message || e).split('\n')[0]}; dispatching it to the element)`);
    await page.screenshot({ path: path.join(ROOT, 'test-results', `${name}-unstable.png`) }).catch(() => {});
    await button.dispatchEvent('click');
  }
}

/**
 * Presses `key` on `target` (focused first, as a keyboard user would) until `landed()` resolves true, at most three
 * times, logging each retry. Once in CI (2026-12-01) a key pressed on a focused control in the chat webview did not
 * land (Chromium had not moved focus into the frame yet); the product's handling is what is tested, not that race.
 */
async function pressUntil(target, key, landed, what) {
  for (let i = 0; ; i++) {
    await target.press(key);
    if (await landed()) return;
    if (i === 2) throw new Error(`${key} on ${what} did not land, three times`);
    console.log(`    (${key} on ${what} did not land: pressing it again)`);
  }
}

/**
 * Adds the endpoint at http://127.0.0.1:PORT/v1 the way a user does: `button` (an "Add Endpoint" button in the chat
 * webview) → the base URL → Enter on the empty API key; then waits for the endpoint picker to list `label @ host:port
 * (simulated)`. The webview the button sits in can take focus back just after the input box opened: it opens the box
 * again when the URL could not be entered (openUntilShown).
 */
async function addEndpoint(page, frame, button, port, label) {
  await openUntilShown(page, 'Add Endpoint', () => clickInWebview(page, button, 'add-endpoint'), () => enterInput(page, 'Add Endpoint (1/2)', `http://127.0.0.1:${port}/v1`));
  await enterInput(page, 'Add Endpoint (2/2)', '');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  await frame.locator('select.endpoint-picker option', { hasText: `${label} @ 127.0.0.1:${port} (simulated)` }).waitFor({ state: 'attached', timeout: 15_000 });
}

module.exports = { pressUntil, startSimulator, chatFrame, send, addEndpoint };
