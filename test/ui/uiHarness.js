// Shared by the Playwright UI tiers: named steps with a ✔/✖ line each and a closing "N passed, N failed" line
// (test/run-all.sh counts those), and the command palette.
'use strict';

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

/** Runs a command from the palette. Right after a window reload the palette may not list extension commands yet. */
async function palette(page, command) {
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
    await page.keyboard.type(command);
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor({ timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt >= 8) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
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

/** Right-clicks `row`, picks `label` from its context menu, and waits for `shown()` (see openUntilShown). */
function contextMenu(page, row, label, shown) {
  return openUntilShown(page, `context menu "${label}"`, async () => {
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .action-label', { hasText: label }).first();
    await item.waitFor({ timeout: 10_000 });
    await page.waitForTimeout(300); // the menu's open animation
    await item.click();
  }, shown);
}

/** Exit status for `main()`'s promise: the tier's result, or 1 on a crash outside any step. */
function exitWith(promise) {
  promise.then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });
}

module.exports = { createSteps, palette, openUntilShown, contextMenu, exitWith };
