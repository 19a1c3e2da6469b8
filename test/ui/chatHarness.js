// Shared by the chat UI files (chatui tier): a simulator started from the built CLI, the chat webview's frame, and
// sending a prompt and adding an endpoint the way a user does.
'use strict';
const path = require('node:path');
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

async function send(frame, text) {
  const input = frame.locator('textarea.prompt');
  await input.fill(text);
  await input.press('Enter');
}

/**
 * Adds the endpoint at http://127.0.0.1:PORT/v1 the way a user does: `button` (an "Add Endpoint" button in the chat
 * webview) → the base URL → Enter on the empty API key; then waits for the endpoint picker to list `label @ host:port
 * (simulated)`. The webview the button sits in can take focus back just after the input box opened: it opens the box
 * again when the URL could not be entered (openUntilShown).
 */
async function addEndpoint(page, frame, button, port, label) {
  await openUntilShown(page, 'Add Endpoint', () => button.click(), () => enterInput(page, 'Add Endpoint (1/2)', `http://127.0.0.1:${port}/v1`));
  await enterInput(page, 'Add Endpoint (2/2)', '');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  await frame.locator('select.endpoint-picker option', { hasText: `${label} @ 127.0.0.1:${port} (simulated)` }).waitFor({ state: 'attached', timeout: 15_000 });
}

module.exports = { startSimulator, chatFrame, send, addEndpoint };
