// The demo's workbench, in one place: `npm run demo` (scripts/demo.sh) and the ui tier (test/ui/firstRun.ui.js) both
// build it from here, so the test checks the very settings and flags the demo uses.
//
// Workspace Trust stays ON. code-server (VS Code web) keeps trusted folders in the browser's IndexedDB (application
// storage key "content.trust.model.key"), so the server cannot pre-trust a folder for the user's browser, and there is
// no setting or flag that lists trusted folders (microsoft/vscode#126535, #191772, #279653). So the extension declares
// `untrustedWorkspaces: limited`: in Restricted Mode the DeepSeek view, chat and results work, and launching asks for
// trust (the walkthrough's first step). The demo turns the startup trust dialog off so the workbench opens usable.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Where the demo lives: outside any repository (no git prompt), under $XDG_DATA_HOME like other per-user data. */
function defaultDemoDir(env = process.env) {
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'deepseek-deploy', 'demo');
}

/** User settings of the demo's own profile (its user-data-dir): no welcome page, no built-in AI chat, trust on. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
};

/** The demo folder's own settings: a quick simulator with the scripted replies, and the DeepSeek view in front. */
function workspaceSettings() {
  return {
    'deepseek.simulator.startupSpeed': 30,
    'deepseek.simulator.repliesFile': path.join(ROOT, 'media', 'demo', 'replies.json'),
    'deepseek.revealViewOnStartup': true,
  };
}

/** code-server flags besides auth/bind/dirs: no telemetry or update check, no "Getting Started" override. */
const SERVER_FLAGS = ['--disable-telemetry', '--disable-update-check', '--disable-getting-started-override'];

/**
 * Creates (or refreshes) the demo tree under `dir`: ws/ (the folder opened, with .vscode/settings.json, a README and
 * .deepseek/ so the extension activates there), user-data/User/settings.json, extensions/ (the extension linked in).
 * Returns the paths and the code-server argv tail (flags, dirs, folder).
 */
function prepareDemo(dir) {
  const ws = path.join(dir, 'ws');
  const userData = path.join(dir, 'user-data');
  const extensions = path.join(dir, 'extensions');
  for (const d of [path.join(ws, '.vscode'), path.join(ws, '.deepseek'), path.join(userData, 'User'), extensions]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), `${JSON.stringify(workspaceSettings(), null, 2)}\n`);
  // The user's own changes to the demo profile are kept; the demo's keys are set again on every run.
  const userSettings = path.join(userData, 'User', 'settings.json');
  let mine = {};
  try {
    mine = JSON.parse(fs.readFileSync(userSettings, 'utf8'));
  } catch { /* first run, or a file with comments: start from the demo's settings */ }
  fs.writeFileSync(userSettings, `${JSON.stringify({ ...mine, ...USER_SETTINGS }, null, 2)}\n`);
  const readme = path.join(ws, 'README.md');
  if (!fs.existsSync(readme)) {
    fs.writeFileSync(readme, '# DeepSeek Deploy demo\n\nThe DeepSeek view is open on the left; "DeepSeek: Get Started" (F1) walks through it.\n'
      + 'Launching asks you to trust this folder once (Workspace Trust); the simulator engine needs no GPU.\n'
      + 'In the chat, try "Hello" or "How should I parallelize DeepSeek-R1 on 8 GPUs?".\n');
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const link = path.join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(ROOT, link);
  const args = [...SERVER_FLAGS, '--user-data-dir', userData, '--extensions-dir', extensions, ws];
  return { dir, ws, userData, extensions, args };
}

module.exports = { defaultDemoDir, prepareDemo, USER_SETTINGS, SERVER_FLAGS, workspaceSettings };

if (require.main === module) {
  // `node scripts/demoConfig.js [dir]`: prepares the demo and prints its argv tail, one argument per line.
  const out = prepareDemo(process.argv[2] || defaultDemoDir());
  process.stdout.write(`${out.args.join('\n')}\n`);
}
