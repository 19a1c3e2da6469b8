// Bundles with esbuild. Separate bundles keep activation cheap: the extension bundle holds only the adapter and the
// core it needs at activation; the simulator and the CLI are their own files, loaded only when used.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  define: { DEEPSEEK_DEPLOY_VERSION: JSON.stringify(pkg.version) },
  // ssh2 optionally loads native addons (cpu-features, sshcrypto.node); the pure-JS paths are used without them.
  external: ['cpu-features', '*.node'],
};

const targets = [
  { ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: [...common.external, 'vscode'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/core/openai/clientBundle.ts'], outfile: 'dist/openaiClient.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/simulator/main.ts'], outfile: 'dist/simulator.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/core/ssh/remoteHosts.ts'], outfile: 'dist/remote.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/cli/profileCommands.ts'], outfile: 'dist/cli-profiles.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/cli/tuneCommand.ts'], outfile: 'dist/cli-tune.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/core/launch/launchApi.ts'], outfile: 'dist/launch.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/core/bench/benchApi.ts'], outfile: 'dist/bench.js', platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['src/core/tune/tuneApi.ts'], outfile: 'dist/tune.js', platform: 'node', format: 'cjs', target: 'node20' },
  // ESM with splitting: highlight.js's core and each language are lazy chunks next to chat.js (loaded on demand).
  { ...common, entryPoints: { chat: 'webview/chat/main.ts' }, outdir: 'dist/webview', splitting: true, chunkNames: 'chat-chunks/[name]-[hash]', platform: 'browser', format: 'esm', target: 'es2022' },
  { ...common, entryPoints: ['webview/bench/main.ts'], outfile: 'dist/webview/bench.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { ...common, entryPoints: ['webview/tune/main.ts'], outfile: 'dist/webview/tune.js', platform: 'browser', format: 'iife', target: 'es2022' },
];

function walk(dir, pred) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}

if (args.has('--tests')) {
  rmSync('out', { recursive: true, force: true });
  mkdirSync('out', { recursive: true });
  const unit = walk('test/unit', (p) => p.endsWith('.ts'));
  const vscodeTests = [...walk('test/vscode', (p) => p.endsWith('.ts')), ...walk('test/bench', (p) => p.endsWith('.ts'))];
  await esbuild.build({ ...common, entryPoints: unit, outdir: 'out/test/unit', outbase: 'test/unit', platform: 'node', format: 'cjs', target: 'node20' });
  const hostile = walk('test/hostile', (p) => p.endsWith('.ts'));
  await esbuild.build({ ...common, entryPoints: hostile, outdir: 'out/test/hostile', outbase: 'test/hostile', platform: 'node', format: 'cjs', target: 'node20' });
  const integration = walk('test/integration', (p) => p.endsWith('.ts'));
  await esbuild.build({ ...common, entryPoints: integration, outdir: 'out/test/integration', outbase: 'test/integration', platform: 'node', format: 'cjs', target: 'node20' });
  const k8s = walk('test/k8s', (p) => p.endsWith('.ts'));
  await esbuild.build({ ...common, entryPoints: k8s, outdir: 'out/test/k8s', outbase: 'test/k8s', platform: 'node', format: 'cjs', target: 'node20' });
  await esbuild.build({ ...common, entryPoints: vscodeTests, outdir: 'out/test', outbase: 'test', platform: 'node', format: 'cjs', target: 'node20', external: [...common.external, 'vscode', 'mocha'] });
} else if (args.has('--watch')) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  // Chunk names carry a content hash: without this, every build's chunks pile up beside the last (and get packed).
  rmSync('dist/webview/chat-chunks', { recursive: true, force: true });
  await Promise.all(targets.map((t) => esbuild.build(t)));
  // uPlot's stylesheet, served to the results webview from our own files (its CSP allows no other styles).
  copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/webview/uPlot.min.css');
  // The profile JSON Schema (yamlValidation for *.deepseek.yaml) comes from the same zod schema the launcher uses.
  const { profileSchemaJson } = createRequire(import.meta.url)('./dist/launch.js');
  writeFileSync('dist/deepseek-profile.schema.json', JSON.stringify(profileSchemaJson(), null, 2));
  // The tuning spec's JSON Schema (yamlValidation for *.tune.yaml), from the zod schema `deepseek-deploy tune` uses.
  writeFileSync('dist/deepseek-tune.schema.json', JSON.stringify(createRequire(import.meta.url)('./dist/cli-tune.js').tuneSpecSchemaJson(), null, 2));
}
