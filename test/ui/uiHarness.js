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
 * Right-clicks `row`, picks `label` from its context menu, and waits for `shown()` (a promise that rejects when what
 * the item opens does not appear within its own timeout). On a loaded 2-core machine a click landing while the menu
 * is still opening is sometimes lost (CI: the preset picker, the tuning view never opened): the menu is tried again,
 * at most 3 times, so a real failure still fails.
 */
async function contextMenu(page, row, label, shown) {
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .action-label', { hasText: label }).first();
    await item.waitFor({ timeout: 10_000 });
    await page.waitForTimeout(300); // the menu's open animation
    await item.click();
    try {
      return await shown();
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`    (context menu "${label}" opened nothing on try ${attempt}: ${String(e.message || e).split('\n')[0]}; trying again)`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
}

/** Exit status for `main()`'s promise: the tier's result, or 1 on a crash outside any step. */
function exitWith(promise) {
  promise.then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });
}

module.exports = { createSteps, palette, contextMenu, exitWith };
