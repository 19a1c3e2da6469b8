// first-run ui tier (issue 17): the workbench `npm run demo` produces — the very settings, flags and workspace from
// scripts/demoConfig.js, Workspace Trust ON — driven by Playwright as a new user would: the DeepSeek view is in front
// without any click, the palette lists the commands in Restricted Mode, launching says it needs trust (what is limited),
// Add Host refuses bad input and keeps it, and the walkthrough completes step by step after trusting the folder.
// Screenshots in test-results/first-*.png.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const assert = require('node:assert/strict');
const { ROOT, startCodeServer, launchBrowser } = require('../infra/codeServer');
const { createSteps, quickInput, fillQuickInput, enterInput, palette, openUntilShown, clickRow, openAndPick, pickQuickSimulator, exitWith } = require('./uiHarness');
const { chatFrame: chatFrameWithin, send } = require('./chatHarness');
/** The chat editor's frame; the demo workbench can take a minute to show it. */
const chatFrame = (page) => chatFrameWithin(page, 60_000);

const OUT = path.join(ROOT, 'test-results');
const { step, summary } = createSteps();
const shot = (page, name) => page.screenshot({ path: path.join(OUT, `first-${name}.png`) });

/** The palette's rows for what was typed after F1 (then closes it). */
async function paletteRows(page, text) {
  await page.keyboard.press('F1');
  await fillQuickInput(page, `>${text}`);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 20_000 });
  await page.waitForTimeout(500);
  const rows = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
  return rows.map((r) => r.replace(/\s+/g, ' ').trim());
}

/** The palette, after taking focus out of a webview (keys typed into a webview's frame do not reach the workbench). */
async function run(page, command) {
  await page.mouse.click(700, 890); // the empty middle of the status bar
  await palette(page, command);
}

async function stepDone(page, id) {
  await page.locator(`button.getting-started-step[data-step-id$="#${id}"][aria-checked="true"]`).first().waitFor({ timeout: 30_000 });
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const cs = await startCodeServer({ demo: true });
  const ws = cs.workspace;
  const ctx = await launchBrowser(cs.tmp);
  const page = ctx.pages()[0] || (await ctx.newPage());
  let failed = false;
  console.log('first-run ui tier: the demo workbench (Workspace Trust on) in code-server + headless Chromium');
  try {
    assert.ok(!path.resolve(ws).startsWith(`${ROOT}${path.sep}`), 'the demo workspace must live outside the repository');
    // The machine running the suite is shared: loading the workbench can take a minute.
    await page.goto(`http://${cs.host}/?folder=${encodeURIComponent(ws)}`, { timeout: 180_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 180_000 });

    await step('the demo opens on the DeepSeek view, no trust dialog, no Welcome page, no built-in chat', async () => {
      const sidebar = page.locator('.sidebar');
      for (const title of ['Hosts', 'Endpoints', 'Chat']) await sidebar.locator('.pane-header', { hasText: title }).first().waitFor({ timeout: 90_000 });
      await sidebar.locator('.monaco-list-row', { hasText: 'This machine' }).first().waitFor({ timeout: 60_000 });
      assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'a modal dialog is open');
      assert.equal(await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).count(), 0, 'the Welcome page is open');
      assert.equal(await page.locator('.part.auxiliarybar:visible').count(), 0, 'the secondary side bar (built-in chat) is open');
      // Trust is on and this folder is not trusted yet: Restricted Mode is shown, and the extension still runs.
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 20_000 });
      await shot(page, 'demo-opened');
    });

    await step('in Restricted Mode the palette lists the DeepSeek commands (context-only ones hidden)', async () => {
      const rows = await paletteRows(page, 'DeepSeek: ');
      await page.keyboard.press('Escape');
      for (const t of ['DeepSeek: Launch Server', 'DeepSeek: Benchmark Endpoint…', 'DeepSeek: Add Host…', 'DeepSeek: Get Started']) assert.ok(rows.some((r) => r.includes(t)), `${t} missing from ${rows.join(' | ')}`);
      const hidden = await paletteRows(page, 'DeepSeek: Benchmark this');
      await page.keyboard.press('Escape');
      assert.ok(!hidden.some((r) => r.includes('Benchmark this endpoint')), 'the context-menu command is in the palette');
    });

    await step('launching in the untrusted folder says it needs trust and offers "Manage Workspace Trust"', async () => {
      await palette(page, 'DeepSeek: Launch Server');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'needs a trusted workspace' }).first();
      await toast.waitFor({ timeout: 20_000 });
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().waitFor();
      // The palette itself may still be closing when the toast shows (seen in CI on 2 cores): wait for it to go,
      // then hold a second — a launch picker opening without trust would show up in that second.
      await page.locator('.quick-input-widget').first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
      await page.waitForTimeout(1000);
      assert.equal(await page.locator('.quick-input-widget:visible').count(), 0, 'the launch picker opened without trust');
      await shot(page, 'untrusted-launch');
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().click();
      await page.locator('.workspace-trust-editor').first().waitFor({ timeout: 20_000 });
      await shot(page, 'trust-editor');
      await page.keyboard.press('Control+W');
    });

    await step('Add Host refuses gpu01:abc and "root@gpu 01", keeping what was typed', async () => {
      await palette(page, 'DeepSeek: Add Host…');
      const input = quickInput(page);
      await page.locator('.quick-input-title', { hasText: 'Add SSH Host' }).waitFor({ timeout: 15_000 });
      for (const [bad, why] of [['gpu01:abc', /port must be a number from 1 to 65535/], ['root@gpu 01', /no spaces/]]) {
        await input.fill(bad);
        await page.locator('.quick-input-message', { hasText: why }).first().waitFor({ timeout: 10_000 });
        await page.keyboard.press('Enter');
        await page.waitForTimeout(500);
        assert.ok(await input.isVisible(), `${bad} was accepted`);
        assert.equal(await input.inputValue(), bad);
        await shot(page, `addhost-${bad.replace(/\W+/g, '_')}`);
      }
      await page.keyboard.press('Escape');
    });

    await step('the walkthrough completes: trust → simulator → chat → benchmark → host → preset', async () => {
      await palette(page, 'DeepSeek: Get Started');
      await page.locator('.gettingStartedContainer', { hasText: 'Get Started with DeepSeek Deploy' }).first().waitFor({ timeout: 30_000 });
      const walkthrough = page.locator('.tabs-container .tab', { hasText: /Walkthrough|Welcome/ }).first();
      await shot(page, 'walkthrough-start');
      // Trust the demo folder (the step's own button opens VS Code's trust editor).
      await palette(page, 'Workspaces: Manage Workspace Trust');
      const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust( Folder)?$/ }).first();
      await trust.waitFor({ timeout: 20_000 });
      await trust.click();
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ state: 'detached', timeout: 30_000 });
      await page.keyboard.press('Control+W');
      await walkthrough.click();
      await stepDone(page, 'trust');
      // Simulator.
      await pickQuickSimulator(page, 'vLLM dialect');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 20_000 });
      await dialog.locator('.monaco-button', { hasText: 'Launch' }).first().click();
      await page.locator('.sidebar .monaco-list-row', { hasText: 'ready · simulated' }).first().waitFor({ timeout: 120_000 });
      // Chat, benchmark (the only ready endpoint is picked), host, preset.
      await run(page, 'DeepSeek: Open Chat in Editor');
      await page.waitForTimeout(1000);
      // A webview just opened (the chat editor, then the benchmark results panel) can take focus right after the next
      // pick or the palette opened, which closes it (seen: the results panel closed the palette before "Add Host…" ran,
      // so its box never showed): open it again then (openAndPick, openUntilShown).
      await openAndPick(page, 'the benchmark preset pick', () => run(page, 'DeepSeek: Benchmark Endpoint…'), 'Latency', 20_000);
      await openUntilShown(page, 'the Add SSH Host box', () => run(page, 'DeepSeek: Add Host…'), () => enterInput(page, 'Add SSH Host', 'me@gpu-node-01:2222'));
      await page.locator('.sidebar .monaco-list-row', { hasText: 'gpu-node-01' }).first().waitFor({ timeout: 20_000 });
      await run(page, 'DeepSeek: Launch from Profile…');
      await page.waitForTimeout(1500);
      await page.keyboard.press('Escape');
      await run(page, 'DeepSeek: Get Started');
      await page.locator('.gettingStartedContainer', { hasText: 'Get Started with DeepSeek Deploy' }).first().waitFor({ timeout: 30_000 });
      await shot(page, 'walkthrough-end');
      for (const id of ['trust', 'simulator', 'chat', 'benchmark', 'host', 'preset']) await stepDone(page, id);
      await shot(page, 'walkthrough-done');
    });

    const QUESTION = 'How should I parallelize DeepSeek-R1 on 8 GPUs?';
    await step('the demo reply renders a table with borders and code with highlighted tokens', async () => {
      await run(page, 'DeepSeek: Open Chat in Editor');
      const frame = await chatFrame(page);
      await send(frame, QUESTION);
      const cell = frame.locator('article.msg.assistant .answer td', { hasText: '--tensor-parallel-size 8' }).first();
      await cell.waitFor({ timeout: 120_000 });
      await frame.locator('article.msg.assistant:not(.streaming) .answer code.hljs').nth(1).waitFor({ timeout: 60_000 });
      const look = await frame.evaluate(() => {
        const cs = (sel) => globalThis.getComputedStyle(document.querySelector(sel));
        const td = cs('article.msg.assistant .answer td');
        const th = cs('article.msg.assistant .answer th');
        const colours = new Set([...document.querySelectorAll('article.msg.assistant .answer code.hljs span')].map((s) => globalThis.getComputedStyle(s).color));
        const plain = globalThis.getComputedStyle(document.querySelector('article.msg.assistant .answer code.hljs')).color;
        return { td: [td.borderTopStyle, td.borderTopWidth], thBg: th.backgroundColor, thWeight: th.fontWeight, colours: [...colours], plain };
      });
      assert.equal(look.td[0], 'solid');
      assert.ok(parseFloat(look.td[1]) >= 1, `cell border ${look.td[1]}`);
      assert.ok(Number(look.thWeight) >= 600, `header weight ${look.thWeight}`);
      assert.ok(look.colours.filter((c) => c !== look.plain).length >= 2, `token colours ${look.colours.join(', ')} vs plain ${look.plain}`);
      await shot(page, 'chat-table-code');
    });

    await step('history survives New Chat and a window reload, and the chat editor comes back', async () => {
      await run(page, 'DeepSeek: New Chat');
      await page.waitForTimeout(1000);
      await page.keyboard.press('Escape');
      await run(page, 'Developer: Reload Window');
      await page.waitForSelector('.monaco-workbench', { timeout: 180_000 });
      await page.locator('.tabs-container .tab', { hasText: 'DeepSeek Chat' }).first().waitFor({ timeout: 120_000 });
      // The restored chat editor's webview loads after the tab shows and takes focus, which closes a quick pick opened
      // meanwhile (seen once here): wait for its frame, and open the history again if the pick went away (openUntilShown).
      await chatFrame(page);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: QUESTION.slice(0, 30) }).first();
      await openUntilShown(page, 'the Chat History pick', () => run(page, 'DeepSeek: Chat History…'), async () => {
        await row.waitFor({ timeout: 20_000 });
        await shot(page, 'chat-history');
        await clickRow(page, QUESTION.slice(0, 30));
      });
      const frame = await chatFrame(page);
      await frame.locator('article.msg.assistant .answer td', { hasText: '--tensor-parallel-size 8' }).first().waitFor({ timeout: 30_000 });
      await shot(page, 'chat-reopened');
    });
  } catch (e) {
    failed = true;
    console.log(`  (stopped: ${String((e && e.message) || e).split('\n')[0]})`);
    await shot(page, 'failure').catch(() => {});
  } finally {
    await ctx.close().catch(() => {});
    await cs.stop(failed);
  }
  summary('first-run ui tier', failed, cs.logFile);
  return failed ? 1 : 0;
}

exitWith(main());
