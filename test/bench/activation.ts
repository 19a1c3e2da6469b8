import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Runs as extensionTestsPath in a fresh extension host: times the first activate() (bundle load + activate()),
 * and writes the figures into the workspace folder, where the bench driver reads them.
 */
export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<{ activationMs: number }>('deepseek-deploy.deepseek-deploy');
  if (!ext) throw new Error('extension not loaded');
  const wasActive = ext.isActive;
  const t0 = performance.now();
  const api = await ext.activate();
  const wallMs = performance.now() - t0;
  // Code loading alone, measured on a second copy of the bundle (what VS Code reports as codeLoadingTime).
  const bundle = path.join(ext.extensionPath, 'dist', 'extension.js');
  delete require.cache[require.resolve(bundle)];
  const t1 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- timing a fresh load of the bundle is the point
  require(bundle);
  const requireMs = performance.now() - t1;
  const out = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!out) throw new Error('no workspace folder to write results to');
  fs.writeFileSync(path.join(out, 'activation.json'), JSON.stringify({ wasActive, activateWallMs: wallMs, activateFnMs: api.activationMs, requireMs }));
}
