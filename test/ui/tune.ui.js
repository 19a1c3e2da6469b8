// tune tier: Playwright drives "DeepSeek: Tune Deployment…" in the real workbench (code-server) the way a user would:
// pick a small tuning spec against the simulator on this machine, watch it run, see the Pareto chart and the
// planner's misfits in the results view, "Apply to Profile", and check the profile file on disk; then open the saved
// tune.json from the Explorer, cancel a second run (its server is stopped) and resume it. Screenshots land in
// test-results/.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { ROOT, startCodeServer, launchBrowser, makeWorkspace, freePort } = require('../infra/codeServer');
const { createSteps, palette, openAndPick, contextMenu, exitWith } = require('./uiHarness');

const OUT = path.join(ROOT, 'test-results');
const { step, summary } = createSteps();

// The user's profile: comments and layout that "Apply to Profile" must keep.
const profileText = (port) => `# R1 on the simulator: our team's base profile
name: r1-sim
host: local
engine: {kind: simulator, imitates: vllm}
model:
  id: deepseek-ai/DeepSeek-R1 # the weights we serve
parallel: {tp: 8}
knobs:
  # picked by hand last quarter
  maxNumSeqs: 4
  port: ${port}
runtime: {kind: process}
`;

// Two max-num-seqs values the simulator's engine model tells apart, and a memory setting the planner refuses
// (671B FP8 weights do not fit in 30% of 8×141 GB): 4 configurations, 2 launched.
const SPEC = `name: ui-small
base: {profile: ../profiles/r1-sim.deepseek.yaml}
gpus: 8xH200-141GB
simulator: {speed: 1, startupSpeed: 1000}
search:
  maxNumSeqs: [2, 16]
  gpuMemoryUtilization: [0.9, 0.3]
workload: {inputLen: 128, outputLen: 32, numPrompts: 8, promptsPerUnitLoad: 2, warmups: 1}
load: {kind: concurrency, start: 2, max: 8, maxPoints: 2}
confidence: {maxRepeats: 0}
slo:
  - {metric: ttft, stat: p99, maxMs: 5000}
objective: outputTokPerSecPerGpu
pricePerGpuHour: 2.5
`;

/** The tuning results webview's frame (VS Code nests webviews two iframes deep). */
async function tuneFrame(page, timeoutMs) {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    for (const f of page.frames()) if (await f.$('main#app section.chosen').catch(() => null)) return f;
    await page.waitForTimeout(500);
  }
  throw new Error('tuning results view never showed');
}

/**
 * Simulators started by this code-server's extension host (it runs `<extensions dir>/<extension>/dist/cli.js simulate
 * …`, and the extensions dir is under the server's temp dir), not other servers on the machine.
 */
function simulators(csTmp) {
  try {
    return execFileSync('pgrep', ['-af', 'cli\\.js simulate'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(csTmp) || l.includes(path.join(ROOT, 'dist/cli.js')));
  } catch {
    return [];
  }
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const ws = makeWorkspace({});
  fs.mkdirSync(path.join(ws, 'profiles'));
  fs.mkdirSync(path.join(ws, 'tuning'));
  const profileFile = path.join(ws, 'profiles/r1-sim.deepseek.yaml');
  // A free port: the machine may run other servers on the default 8000.
  fs.writeFileSync(profileFile, profileText(await freePort()));
  fs.writeFileSync(path.join(ws, 'tuning/ui-small.tune.yaml'), SPEC);
  const cs = await startCodeServer({ workspace: ws, installExtension: true });
  const ctx = await launchBrowser(cs.tmp);
  const page = ctx.pages()[0] || (await ctx.newPage());
  let failed = false;
  console.log('tune tier: Tune Deployment in code-server + headless Chromium');
  try {
    await page.goto(`http://${cs.host}/?folder=${encodeURIComponent(ws)}`, { timeout: 180_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    let result;
    let cancelledId;
    // "DeepSeek: Tune Deployment…" → the row holding `label`. The Tuning view's webview (its tab was just clicked) can
    // take focus right after the pick opened, which closes it: open it again then (openAndPick).
    const tunePick = (label) => openAndPick(page, 'the Tune Deployment pick', () => palette(page, 'DeepSeek: Tune Deployment'), label, 30_000);

    await step('"DeepSeek: Tune Deployment…" runs the picked spec against the simulator; the view draws the Pareto chart and the planner\'s misfits', async () => {
      await tunePick('tuning/ui-small.tune.yaml');
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'Tuning ui-small' }).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(OUT, 'tune-progress.png') });
      const frame = await tuneFrame(page, 240_000);
      // The run is over when Apply is enabled (it waits while the run goes).
      await frame.locator('vscode-button#apply:not([disabled])').waitFor({ timeout: 240_000 });
      const runDirs = fs.readdirSync(path.join(ws, '.deepseek/tuning'));
      assert.equal(runDirs.length, 1, runDirs.join(', '));
      result = JSON.parse(fs.readFileSync(path.join(ws, '.deepseek/tuning', runDirs[0], 'tune.json'), 'utf8'));
      assert.equal(result.state, 'done');
      assert.equal(result.candidates.length, 4);
      assert.equal(result.candidates.filter((c) => !c.fits).length, 2);
      assert.ok(result.best, result.bestReason);
      await frame.locator('section.pareto .uplot canvas').first().waitFor({ timeout: 10_000 });
      assert.match(await frame.locator('h2').innerText(), new RegExp(`Tuning run ${result.runId}`));
      assert.match(await frame.locator('section.chosen .best').innerText(), new RegExp(`maxNumSeqs ${result.best.params.maxNumSeqs}`));
      const misfits = frame.locator('vscode-data-grid[aria-label^="Not launched"] vscode-data-grid-row');
      assert.equal(await misfits.count(), 3, 'a header and 2 planner misfits');
      assert.match(await misfits.nth(1).innerText(), /0\.3/);
      const configs = frame.locator('vscode-data-grid[aria-label="Configurations"] vscode-data-grid-row');
      assert.equal(await configs.count(), 3, 'a header and 2 launched configurations');
      assert.match(await configs.allInnerTexts().then((t) => t.join('\n')), /★ maxNumSeqs/);
      // The chart's points are the runs saved in tune.json, every one drawn (reported by the webview after drawing).
      const runs = result.candidates.flatMap((c) => c.runs).filter((r) => r.outputTokPerSecPerUser !== null);
      assert.ok(runs.length >= 2, `${runs.length} runs`);
      const chart = frame.locator('section.pareto');
      assert.equal(Number(await chart.getAttribute('data-points')), runs.length, 'every measured run is a point');
      const front = Number(await chart.getAttribute('data-front'));
      assert.ok(front >= 1 && front <= runs.length, `front of ${front}`);
      await frame.locator('section.pareto').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(OUT, 'tune-results.png') });
      assert.equal(simulators(cs.tmp).length, 0, `the tuner left servers running:\n${simulators(cs.tmp).join('\n')}`);
    });

    await step('"Apply to Profile" writes the chosen settings into the profile with a comment naming the run, keeping the user\'s comments', async () => {
      const frame = await tuneFrame(page, 10_000);
      await frame.locator('vscode-button#apply').click();
      await frame.locator('.applied').waitFor({ timeout: 15_000 });
      const text = fs.readFileSync(profileFile, 'utf8');
      assert.match(text.split('\n')[0], new RegExp(`^# Tuned by DeepSeek: Tune Deployment, run ${result.runId}\\b`));
      for (const kept of ['# R1 on the simulator: our team\'s base profile', '# the weights we serve', '# picked by hand last quarter', 'runtime: {kind: process}']) assert.ok(text.includes(kept), `lost "${kept}":\n${text}`);
      assert.match(text, new RegExp(`\\n  maxNumSeqs: ${result.best.params.maxNumSeqs}\\n`));
      assert.match(text, new RegExp(`gpuMemoryUtilization: ${result.best.params.gpuMemoryUtilization}`));
      await page.screenshot({ path: path.join(OUT, 'tune-applied.png') });
    });

    await step('the saved tune.json opens in the same view from the Explorer\'s context menu; the chosen configuration\'s runs open as benchmark results', async () => {
      // Keys typed while the webview has focus stay in it: focus the workbench (the view's tab), then close the view.
      await page.locator('.tabs-container .tab', { hasText: 'Tuning' }).first().click();
      await page.keyboard.press('Control+W');
      await page.locator('.tabs-container .tab', { hasText: 'Tuning' }).first().waitFor({ state: 'detached', timeout: 10_000 });
      await palette(page, 'View: Show Explorer');
      const tree = page.locator('.explorer-folders-view');
      for (const name of ['.deepseek', 'tuning', result.runId]) {
        const row = tree.locator('.monaco-list-row', { hasText: name }).first();
        await row.waitFor({ timeout: 15_000 });
        if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      }
      const frame = await contextMenu(page, tree.locator('.monaco-list-row', { hasText: 'tune.json' }).first(), 'Open Tuning Results', () => tuneFrame(page, 30_000));
      assert.match(await frame.locator('h2').innerText(), new RegExp(result.runId));
      await frame.locator('section.pareto .uplot canvas').first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(OUT, 'tune-from-explorer.png') });
      // The chosen configuration's benchmark runs are normal results: they open in the benchmark results panel.
      await frame.locator('vscode-button', { hasText: 'Open Runs of the Chosen Configuration' }).click();
      let bench;
      for (let i = 0; i < 60 && !bench; i++) {
        for (const f of page.frames()) if (await f.$('main#app vscode-data-grid[aria-label="Summary"]').catch(() => null)) bench = f;
        if (!bench) await page.waitForTimeout(250);
      }
      assert.ok(bench, 'the benchmark results panel never showed the runs');
      const runs = result.best.runs.length;
      assert.equal(await bench.locator('vscode-data-grid[aria-label="Summary"] vscode-data-grid-row').first().locator('vscode-data-grid-cell').count(), runs + 1, `${runs} runs side by side`);
    });

    await step('Cancel on the progress notification stops the run and the server it started; the run is saved as cancelled', async () => {
      await page.locator('.tabs-container .tab', { hasText: 'Tuning' }).first().click();
      await tunePick('tuning/ui-small.tune.yaml');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Tuning ui-small' }).first();
      await toast.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(OUT, 'tune-second-run.png') });
      // Cancel once a server of this run is up.
      for (let i = 0; i < 240 && simulators(cs.tmp).length === 0; i++) await page.waitForTimeout(250);
      assert.ok(simulators(cs.tmp).length > 0, `no simulator of this window seen; simulators on the machine:\n${execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => /cli\.js simulate/.test(l)).join('\n')}`);
      await toast.hover();
      await toast.locator('.monaco-button, .action-label', { hasText: 'Cancel' }).first().click();
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'cancelled' }).first().waitFor({ timeout: 60_000 });
      for (let i = 0; i < 40 && simulators(cs.tmp).length > 0; i++) await page.waitForTimeout(250);
      assert.deepEqual(simulators(cs.tmp), []);
      const runDirs = fs.readdirSync(path.join(ws, '.deepseek/tuning')).filter((d) => d !== result.runId);
      assert.equal(runDirs.length, 1);
      assert.equal(JSON.parse(fs.readFileSync(path.join(ws, '.deepseek/tuning', runDirs[0], 'tune.json'), 'utf8')).state, 'cancelled');
      await page.screenshot({ path: path.join(OUT, 'tune-cancelled.png') });
      cancelledId = runDirs[0];
    });

    await step('"Tune Deployment…" offers the cancelled run for resume; resuming finishes it in the same folder without repeating a saved run', async () => {
      const before = JSON.parse(fs.readFileSync(path.join(ws, '.deepseek/tuning', cancelledId, 'tune.json'), 'utf8'));
      const saved = before.candidates.flatMap((c) => c.runs.map((r) => r.id));
      await page.locator('.tabs-container .tab', { hasText: 'Tuning' }).first().click();
      await tunePick(`Resume ${cancelledId}`);
      const frame = await tuneFrame(page, 60_000);
      await frame.locator('h2', { hasText: cancelledId }).waitFor({ timeout: 60_000 });
      await frame.locator('vscode-button#apply:not([disabled])').waitFor({ timeout: 240_000 });
      assert.equal(fs.readdirSync(path.join(ws, '.deepseek/tuning')).length, 2, 'resume writes into the cancelled run\'s folder');
      const after = JSON.parse(fs.readFileSync(path.join(ws, '.deepseek/tuning', cancelledId, 'tune.json'), 'utf8'));
      assert.equal(after.state, 'done');
      const ids = after.candidates.flatMap((c) => c.runs.map((r) => r.id));
      assert.equal(new Set(ids).size, ids.length, `a run was repeated: ${ids.join(', ')}`);
      for (const id of saved) assert.ok(ids.includes(id), `saved run ${id} was dropped`);
      await frame.locator('section.pareto .uplot canvas').first().waitFor({ timeout: 10_000 });
      assert.deepEqual(simulators(cs.tmp), []);
      await page.screenshot({ path: path.join(OUT, 'tune-resumed.png') });
    });

    await step('a new user gets "New Tuning Spec from the Example…": the CLI\'s example spec is written to .deepseek/tuning/ and opened, with a Run Tuning button', async () => {
      await page.locator('.tabs-container .tab', { hasText: 'Tuning' }).first().click();
      await tunePick('New Tuning Spec from the Example');
      await page.locator('.tabs-container .tab', { hasText: 'example.tune.yaml' }).first().waitFor({ timeout: 15_000 });
      const text = fs.readFileSync(path.join(ws, '.deepseek/tuning/example.tune.yaml'), 'utf8');
      assert.match(text, /engine: \{kind: simulator/);
      assert.match(text, /^slo:/m);
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'example.tune.yaml' }).locator('.monaco-button', { hasText: 'Run Tuning' }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(OUT, 'tune-example-spec.png') });
    });
  } catch {
    failed = true;
    await page.screenshot({ path: path.join(OUT, 'tune-failure.png') }).catch(() => {});
  } finally {
    await ctx.close().catch(() => {});
    await cs.stop(failed);
    fs.rmSync(ws, { recursive: true, force: true });
  }
  summary('tune tier', failed, cs.logFile);
  return failed ? 1 : 0;
}

exitWith(main());
