// ui tier, restart (issue 13): a server launched from the workbench outlives a real restart of code-server and is
// listed again. The quick simulator is launched from the palette with deepseek.servers.keepLocalSimulators on;
// code-server's process group is then stopped (SIGTERM, as when the server is shut down) and started again on the same
// user-data, extensions and config directories. The re-activated extension finds the simulator running (from its
// server records and pidfile), shows it ready, benchmarks it, and Stop ends the process. Then the default: with the
// setting off, a quick simulator stops with code-server. Screenshots in test-results/restart-*.png.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const assert = require('node:assert/strict');
const { ROOT, startCodeServer, launchBrowser, makeWorkspace } = require('../infra/codeServer');
const { createSteps, pickQuickSimulator, clickRow, contextMenu, exitWith } = require('./uiHarness');

const OUT = path.join(ROOT, 'test-results');
const { step, summary } = createSteps();
const shot = (page, name) => page.screenshot({ path: path.join(OUT, `restart-${name}.png`) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const cmdline = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};
async function waitFor(what, cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (cond()) return;
  assert.fail(`${what} (waited ${ms} ms)`);
}

/** The launched-server records of the product (core/launch/serverRecords.ts) under this code-server's XDG_CONFIG_HOME. */
const records = (cs) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(cs.tmp, 'xdg-config/deepseek-deploy/servers.json'), 'utf8'));
  } catch {
    return [];
  }
};

/**
 * The simulator of a quick-simulator record: the PID in its pidfile (process runtime, default workdir
 * ~/.deepseek-deploy/run), checked against /proc (a `simulate` process on the recorded port).
 */
function simulatorPid(record) {
  const pid = Number(fs.readFileSync(path.join(os.homedir(), '.deepseek-deploy/run', `${record.profile.name}.pid`), 'utf8').trim());
  const argv = cmdline(pid);
  assert.ok(argv.includes('simulate') && argv.includes(String(record.port)), `pid ${pid} is not the simulator on port ${record.port}: ${argv.join(' ')}`);
  return pid;
}

/**
 * Stops code-server as its service would: SIGTERM to its process group, then waits until no process of it is left
 * (`keep`: the simulators, which run from the installed extension's folder under its directories).
 */
async function stopCodeServer(cs, keep) {
  process.kill(-cs.pid, 'SIGTERM');
  const groupGone = () => {
    try {
      process.kill(-cs.pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  await waitFor(`code-server's process group ${cs.pid} still runs after SIGTERM`, groupGone, 20_000);
  // Nothing else of it (the extension host, a watcher) may live on outside the group: none holds its directories.
  const rest = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && !keep.includes(Number(p)) && cmdline(Number(p)).some((a) => a.includes(cs.tmp)));
  assert.deepEqual(rest, [], `processes of the stopped code-server are still running: ${rest.map((p) => cmdline(Number(p)).join(' ')).join('; ')}`);
}

async function openWorkbench(cs, ws) {
  const ctx = await launchBrowser(cs.tmp);
  const page = ctx.pages()[0] || (await ctx.newPage());
  await page.goto(`http://${cs.host}/?folder=${encodeURIComponent(ws)}`, { timeout: 180_000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  const icon = page.locator('.activitybar [aria-label^="DeepSeek"]').first();
  await icon.waitFor({ timeout: 60_000 });
  await icon.click();
  await page.locator('.sidebar .pane-header', { hasText: 'Endpoints' }).first().waitFor({ timeout: 30_000 });
  return { ctx, page };
}

/** "DeepSeek: Launch Server" → Simulator on This machine → host, dialect, model; returns the confirmation's text. */
async function launchQuickSimulator(page, dialect, confirm) {
  await pickQuickSimulator(page, dialect);
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 15_000 });
  const text = await dialog.innerText();
  await dialog.locator('.monaco-button', { hasText: confirm(text) ? 'Launch' : 'Cancel' }).first().click();
  return text;
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const wsSettings = { 'deepseek.simulator.startupSpeed': 60, 'deepseek.servers.keepLocalSimulators': true };
  const ws = makeWorkspace(wsSettings);
  let cs = await startCodeServer({ workspace: ws, installExtension: true });
  let win = await openWorkbench(cs, ws);
  const pids = []; // every simulator this test saw: stopped at the end if a failed step left one running
  let failed = false;
  let record;
  let pid;
  console.log('ui tier (restart): a server outlives a code-server restart and is found again');
  try {
    await step('with keepLocalSimulators on, the quick simulator launched from the palette turns ready (no --parent-pid)', async () => {
      const shown = await launchQuickSimulator(win.page, 'vLLM dialect', () => true);
      assert.match(shown, /simulate .*-- vllm serve deepseek-ai\/DeepSeek-R1/);
      assert.doesNotMatch(shown, /--parent-pid/, 'the setting keeps the simulator, yet it is bound to the window');
      await win.page.locator('.sidebar .monaco-list-row', { hasText: 'DeepSeek-R1 (vLLM simulator)' }).filter({ hasText: 'ready' }).first().waitFor({ timeout: 90_000 });
      const recs = records(cs);
      assert.equal(recs.length, 1, `server records: ${JSON.stringify(recs)}`);
      record = recs[0];
      assert.match(record.id, /^local\/quick-sim-vllm-\d+$/);
      pid = simulatorPid(record);
      pids.push(pid);
      await shot(win.page, 'launched');
    });

    await step('code-server stopped (SIGTERM to its process group, all gone): the simulator keeps running', async () => {
      await win.ctx.close();
      await stopCodeServer(cs, [pid]);
      await sleep(2000); // a simulator bound to the window would notice within a second that its parent is gone
      assert.ok(alive(pid), `simulator pid ${pid} died with code-server`);
      assert.ok(cmdline(pid).includes('simulate'), `pid ${pid} is no longer the simulator`);
    });

    await step('code-server started again on the same directories: the endpoint is listed again, found running and ready', async () => {
      cs = await startCodeServer({ workspace: ws, reuse: cs });
      win = await openWorkbench(cs, ws);
      // Endpoints live in memory only: after a restart only re-discovery (records + pidfile) can bring the row back.
      const row = win.page.locator('.sidebar .monaco-list-row', { hasText: 'DeepSeek-R1 (vLLM simulator)' }).first();
      await row.filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 });
      const text = await row.innerText();
      assert.match(text, new RegExp(`profile ${record.profile.name}`));
      assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:${record.port}`));
      await row.hover();
      await win.page.locator('.monaco-hover, .workbench-hover', { hasText: 'found running' }).first().waitFor({ timeout: 15_000 });
      await shot(win.page, 'found-running');
      await win.page.mouse.move(5, 5);
    });

    await step('right-click the re-attached endpoint → Benchmark this endpoint → Latency: the results panel shows the run', async () => {
      const row = win.page.locator('.sidebar .monaco-list-row', { hasText: 'DeepSeek-R1 (vLLM simulator)' }).first();
      await contextMenu(win.page, row, 'Benchmark this endpoint', () => clickRow(win.page, 'Latency (1 request)'));
      let frame;
      for (let i = 0; i < 240 && !frame; i++) {
        for (const f of win.page.frames()) if (await f.$('main#app vscode-data-grid').catch(() => null)) frame = f;
        if (!frame) await win.page.waitForTimeout(250);
      }
      assert.ok(frame, 'results panel never showed a data grid');
      const ok = frame.locator('vscode-data-grid[aria-label="Summary"] vscode-data-grid-row', { hasText: 'Successful requests' }).first();
      await ok.waitFor({ timeout: 15_000 });
      assert.match(await ok.innerText(), /Successful requests\s+1\b/);
      await shot(win.page, 'benchmark');
    });

    await step('Stop Server from its context menu: the simulator process is gone, the row says stopped, the record is forgotten', async () => {
      const row = win.page.locator('.sidebar .monaco-list-row', { hasText: 'DeepSeek-R1 (vLLM simulator)' }).first();
      await win.page.keyboard.press('Escape');
      await contextMenu(win.page, row, 'Stop Server', () => row.filter({ hasText: 'stopped' }).waitFor({ timeout: 30_000 }));
      await waitFor(`simulator pid ${pid} still runs after Stop`, () => !alive(pid), 20_000);
      assert.deepEqual(records(cs).map((r) => r.id), []);
      await shot(win.page, 'stopped');
    });

    await step('with the setting off (the default), a quick simulator is bound to the window and stops with code-server', async () => {
      fs.writeFileSync(path.join(ws, '.vscode/settings.json'), JSON.stringify({ ...wsSettings, 'deepseek.servers.keepLocalSimulators': false }, null, 2));
      // The settings file is re-read a moment after it changes: the confirmation shows the exact command, so launch
      // only once it carries --parent-pid (cancel and try again before that).
      let shown = '';
      for (let i = 0; i < 5 && !/--parent-pid/.test(shown); i++) {
        if (i) await sleep(1000);
        shown = await launchQuickSimulator(win.page, 'SGLang dialect', (t) => /--parent-pid/.test(t));
      }
      assert.match(shown, /--parent-pid \d+/, 'the setting turned off, yet the command has no --parent-pid');
      await win.page.locator('.sidebar .monaco-list-row', { hasText: 'DeepSeek-R1 (SGLang simulator)' }).filter({ hasText: 'ready' }).first().waitFor({ timeout: 90_000 });
      const rec = records(cs).find((r) => /^local\/quick-sim-sglang-/.test(r.id));
      assert.ok(rec, `no record of the SGLang simulator: ${JSON.stringify(records(cs))}`);
      const pid2 = simulatorPid(rec);
      pids.push(pid2);
      await win.ctx.close();
      await stopCodeServer(cs, [pid2]);
      await waitFor(`simulator pid ${pid2} outlived code-server with keepLocalSimulators off`, () => !alive(pid2), 10_000);
    });
  } catch {
    failed = true;
    await shot(win.page, 'failure').catch(() => {});
  } finally {
    await win.ctx.close().catch(() => {});
    await cs.stop(failed);
    // Only the simulators this test recorded: a failed step may have left one (TERM its process group, as Stop does).
    for (const p of pids) if (alive(p) && cmdline(p).includes('simulate')) {
      try { process.kill(-p, 'SIGTERM'); } catch { /* gone */ }
    }
    fs.rmSync(ws, { recursive: true, force: true });
  }
  summary('ui tier (restart)', failed, cs.logFile);
  return failed ? 1 : 0;
}

exitWith(main());
