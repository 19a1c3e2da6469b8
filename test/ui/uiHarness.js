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

/** Exit status for `main()`'s promise: the tier's result, or 1 on a crash outside any step. */
function exitWith(promise) {
  promise.then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });
}

module.exports = { createSteps, palette, exitWith };
