// The same vscode-tier suite under @vscode/test-electron, for a developer with a desktop VS Code:
//   VSCODE_EXECUTABLE_PATH=/path/to/code node test/infra/run-vscode-tests-electron.js
// Not run in CI: test-electron cannot download VS Code on our machines (no access to update.code.visualstudio.com).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { runTests } = require('@vscode/test-electron');

const exe = process.env.VSCODE_EXECUTABLE_PATH;
if (!exe) {
  console.error('VSCODE_EXECUTABLE_PATH is not set: point it at a desktop VS Code binary (this path does not download one).');
  process.exit(2);
}
const root = path.resolve(__dirname, '../..');
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'deepseek-ws-'));
fs.mkdirSync(path.join(ws, '.vscode'));
fs.writeFileSync(path.join(ws, '.vscode/settings.json'), JSON.stringify({ 'deepseek.simulator.startupSpeed': 400 }));
runTests({ vscodeExecutablePath: exe, extensionDevelopmentPath: root, extensionTestsPath: path.join(root, 'out/test/vscode/index.js'), launchArgs: [ws, '--disable-extensions'] })
  .then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
