// What a user installs: `npm run package` packs what `.vsce ls` lists. Every bundle the build writes must be in it —
// the extension loads launch.js, remote.js, bench.js and tune.js lazily, so a VSIX without them activates and then
// fails at the first launch, benchmark or tuning run (the list named only four bundles until this stop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

function builtFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? builtFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]));
}

test('the VSIX holds every built bundle and schema (no source maps), the chart and the media', () => {
  const listed = new Set(execFileSync(path.join(ROOT, 'node_modules/.bin/vsce'), ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }).split('\n').map((l) => l.trim()).filter(Boolean));
  const bundles = builtFiles(path.join(ROOT, 'dist')).filter((f) => !f.endsWith('.map')).map((f) => `dist/${f.split(path.sep).join('/')}`);
  assert.ok(bundles.includes('dist/launch.js') && bundles.includes('dist/webview/chat.js'), `build output: ${bundles.join(', ')}`);
  const missing = bundles.filter((f) => !listed.has(f));
  assert.deepEqual(missing, [], `built but not packed: ${missing.join(', ')}`);
  assert.ok(![...listed].some((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/')), 'sources, tests or maps packed');
  for (const f of ['package.json', 'charts/deepseek-deploy/Chart.yaml', 'media/deepseek.svg']) assert.ok(listed.has(f), `${f} not packed`);
});
