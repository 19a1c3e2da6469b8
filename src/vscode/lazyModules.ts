import * as path from 'node:path';

/**
 * Heavy parts live in their own bundles (build.mjs) and load on first use, keeping the activation bundle small.
 * The computed path stops esbuild from inlining them.
 */
export function loadOpenAIClient(): typeof import('../core/openai/clientBundle') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'openaiClient.js')) as typeof import('../core/openai/clientBundle');
}

export function loadRemoteModule(): typeof import('../core/ssh/remoteHosts') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps ssh2 out of the activation bundle
  return require(path.join(__dirname, 'remote.js')) as typeof import('../core/ssh/remoteHosts');
}

export function loadLaunchModule(): typeof import('../core/launch/launchApi') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps zod and yaml out of the activation bundle
  return require(path.join(__dirname, 'launch.js')) as typeof import('../core/launch/launchApi');
}

export function loadBenchModule(): typeof import('../core/bench/benchApi') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps undici and the benchmark out of the activation bundle
  return require(path.join(__dirname, 'bench.js')) as typeof import('../core/bench/benchApi');
}

export function loadTuneModule(): typeof import('../core/tune/tuneApi') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the tuner (and the benchmark and launch code it drives) out of the activation bundle
  return require(path.join(__dirname, 'tune.js')) as typeof import('../core/tune/tuneApi');
}
