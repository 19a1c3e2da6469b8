// Shared by the Playwright UI tiers: named steps with a ✔/✖ line each and a closing "N passed, N failed" line
// (test/run-all.sh counts those), and the command palette.
'use strict';
const assert = require('node:assert/strict');

function createSteps() {
  const results = [];
  async function step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      console.log(`  ✔ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(`  ✖ ${name}\n    ${String((e && e.stack) || e).split('\n').slice(0, 6).join('\n    ')}`);
      throw e;
    }
  }
  const summary = (tier, failed, logFile) => {
    const passed = results.filter((r) => r.ok).length;
    console.log(`${tier}: ${passed} passed, ${results.length - passed} failed${failed ? ` (code-server log: ${logFile})` : ''}`);
  };
  return { step, summary };
}

/** The quick input's text box (palette, quick picks, input boxes and the simple file dialog share it). */
const quickInput = (page) => page.locator('.quick-input-widget input');

/**
 * Sets the quick input's text to `value` with `fill` (focuses the box itself, so no key is lost while a picker is still
 * taking focus on a loaded machine, as typed keys were), and fills again while the box shows something else (a picker
 * can reset its value just after it opens). Throws when the box is not there or never holds `value`.
 */
async function fillQuickInput(page, value) {
  const input = quickInput(page);
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  for (let i = 0; i < 10; i++) {
    await input.fill(value, { timeout: 5_000 });
    if ((await input.inputValue()) === value) return;
    await page.waitForTimeout(200);
  }
  assert.equal(await input.inputValue(), value, 'the quick input does not keep what was filled in');
}

/**
 * Waits for the input box titled `title` (a substring), fills in `value` (see fillQuickInput), presses Enter in the box
 * and waits until that box is gone (the next step replaced it, or it closed), so the caller knows Enter was taken.
 */
async function enterInput(page, title, value) {
  const titled = page.locator('.quick-input-title', { hasText: title }).first();
  await titled.waitFor({ timeout: 15_000 });
  await fillQuickInput(page, value);
  await quickInput(page).press('Enter');
  await titled.waitFor({ state: 'hidden', timeout: 15_000 });
}

/** Runs a command from the palette. Right after a window reload the palette may not list extension commands yet. */
async function palette(page, command) {
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await fillQuickInput(page, `>${command}`);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor({ timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt >= 8) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  await quickInput(page).press('Enter');
}

/**
 * Runs `open()` and waits for `shown()` (a promise that rejects when what it opens does not appear within its own
 * timeout); tries again, at most 3 times, so a real failure still fails. On a loaded 2-core machine a quick pick can
 * close before its rows show (a webview taking focus right after it opened) and a context-menu click landing while
 * the menu still opens is lost (CI: the preset picker, the tuning view, the Launch Server picker, Chat History).
 */
async function openUntilShown(page, what, open, shown) {
  for (let attempt = 1; ; attempt++) {
    await open();
    try {
      return await shown();
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`    (${what} showed nothing on try ${attempt}: ${String(e.message || e).split('\n')[0]}; trying again)`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
}

/**
 * Waits for the open quick pick's row holding `label` and clicks it. The mouse moves off the list first: a hover
 * tooltip of an earlier pick can cover the row. Throws when the row does not show within `timeout` ms or the pick
 * closed before the click.
 */
async function clickRow(page, label, timeout = 15_000) {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout });
  await page.mouse.move(5, 5);
  await row.click({ timeout: 5_000 });
}

/**
 * Runs `open()` (what opens a quick pick: a palette command, a button) and clicks the pick's row holding `label`
 * (clickRow); opens it again when the pick closed before its row showed or could be clicked (openUntilShown).
 */
function openAndPick(page, what, open, label, timeout = 15_000) {
  return openUntilShown(page, what, open, () => clickRow(page, label, timeout));
}

/**
 * "DeepSeek: Launch Server" → "Simulator on This machine" → host "This machine" → `dialect` ("vLLM dialect" or
 * "SGLang dialect") → DeepSeek-R1, each step's row clicked once its titled pick shows (src/vscode/launch/
 * launchServer.ts: "Launch Server (n/3): host|engine|model"). The confirmation dialog that follows is the caller's.
 */
async function pickQuickSimulator(page, dialect) {
  // The sidebar's chat webview or a results panel can take focus just after the first pick opened and close it.
  await openAndPick(page, 'the Launch Server picker', () => palette(page, 'DeepSeek: Launch Server'), 'Simulator on This machine');
  for (const [title, choice] of [['host', 'This machine'], ['engine', dialect], ['model', 'DeepSeek-R1']]) {
    await page.locator('.quick-input-title', { hasText: 'Launch Server' }).filter({ hasText: title }).waitFor({ timeout: 15_000 });
    await clickRow(page, choice);
  }
}

/**
 * Right-clicks `row`, picks `label` from its context menu, and waits for `shown()` (see openUntilShown). `onMenu`, if
 * given, runs while the menu is open (a screenshot).
 */
function contextMenu(page, row, label, shown, onMenu) {
  return openUntilShown(page, `context menu "${label}"`, async () => {
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .action-label', { hasText: label }).first();
    await item.waitFor({ timeout: 10_000 });
    if (onMenu) await onMenu();
    await page.waitForTimeout(300); // the menu's open animation
    await item.click();
  }, shown);
}

/** Exit status for `main()`'s promise: the tier's result, or 1 on a crash outside any step. */
function exitWith(promise) {
  promise.then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });
}

module.exports = { createSteps, quickInput, fillQuickInput, enterInput, palette, openUntilShown, clickRow, openAndPick, pickQuickSimulator, contextMenu, exitWith };
