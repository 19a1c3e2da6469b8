import * as path from 'node:path';
import * as fs from 'node:fs';
import Mocha from 'mocha';

/** extensionTestsPath entry: VS Code calls run() inside the extension host, in code-server or desktop VS Code. */
export function run(): Promise<void> {
  // Colours off: output travels through the browser console (code-server) and must stay readable in CI logs.
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} vscode-tier test(s) failed`)) : resolve()));
  });
}
