// vscode tier: runs the compiled mocha suite (out/test/vscode/index.js) inside the real extension host of
// code-server, with the extension loaded as a development extension, and exits with the suite's exit code.
'use strict';
const path = require('node:path');
const util = require('node:util');
const fs = require('node:fs');
const { ROOT, startCodeServer, launchBrowser, makeWorkspace } = require('./codeServer');

const NOISE = /AgentHost|ChatModelSelection|open-vsx|Creating a socket|connection token|Service Worker|grace time|AccountPolicyGate|builtin extensions cache|copilot/i;

async function main() {
  const testsIndex = path.join(ROOT, 'out/test/vscode/index.js');
  if (!fs.existsSync(testsIndex)) throw new Error(`missing ${testsIndex}: run "node build.mjs --tests" first`);
  const ws = makeWorkspace({ 'deepseek.simulator.startupSpeed': 400 });
  // REQUIRED: without the smoke-test driver the workbench ignores the ?payload= development options.
  const cs = await startCodeServer({ workspace: ws, extraArgs: ['--vscode-option', 'enable-smoke-test-driver'] });
  const uri = (p) => `vscode-remote://${cs.host}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', uri(ROOT)], ['extensionTestsPath', uri(testsIndex)], ['skipWelcome', 'true']]);
  const ctx = await launchBrowser(cs.tmp);
  let code = 'timeout';
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    let finish;
    const exited = new Promise((r) => { finish = r; });
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const s = util.format(...(args || []));
      if (!NOISE.test(s)) (type === 'error' ? console.error : console.log)(s);
    });
    await page.exposeFunction('codeAutomationExit', (c) => finish(c));
    // A loaded machine (CI on 2 cores) can take longer than the default 30 s to serve the workbench.
    await page.goto(`http://${cs.host}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`, { timeout: 180_000 });
    const timeoutS = Number(process.env.TEST_TIMEOUT_S || 300);
    code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutS * 1000))]);
    if (code !== 0) {
      fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, 'test-results/vscode-tier-failure.png') }).catch(() => {});
    }
  } finally {
    await ctx.close().catch(() => {});
    await cs.stop(code !== 0);
    fs.rmSync(ws, { recursive: true, force: true });
  }
  console.log(`vscode tier: extension tests exit code ${code}${code !== 0 ? ` (code-server log: ${cs.logFile})` : ''}`);
  return code === 0 ? 0 : 1;
}

main().then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });
