import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * An engine's `--config FILE.yaml`: each `key: value` becomes `--key value` (booleans: `--key` when true; lists:
 * `--key v1 v2`), inserted after the program words (and vLLM's positional model tag) before the command line's own
 * arguments, so the command line wins; `--config FILE` is removed. SGLang: python/sglang/srt/server_args_config_parser.py
 * (ConfigArgumentMerger.merge_config_with_args); vLLM: FlexibleArgumentParser._pull_args_from_config (`vllm serve`,
 * and the image's API-server entrypoint, whose words are all options). The launcher passes the API key this way in
 * containers (and always for SGLang), so the simulator must read it too.
 * Throws like the engines: only one --config, a .yaml/.yml file, a mapping at the root.
 */
export function mergeConfigFile(argv: readonly string[]): string[] {
  const at = argv.flatMap((w, i) => (w === '--config' ? [i] : []));
  if (at.length === 0) return [...argv];
  if (at.length > 1) throw new Error('Multiple config files specified! Only one allowed.');
  const file = argv[at[0] + 1];
  if (file === undefined) throw new Error('No config file specified after --config flag!');
  if (!/\.ya?ml$/i.test(file)) throw new Error(`Config file must be YAML format, got: ${file}`);
  const data: unknown = parseYaml(fs.readFileSync(file, 'utf8')) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error('Config file must contain a dictionary at root level');
  const fromFile = Object.entries(data as Record<string, unknown>).flatMap(([k, v]) =>
    v === true ? [`--${k}`] : v === false ? [] : Array.isArray(v) ? [`--${k}`, ...v.map(String)] : [`--${k}`, String(v)]);
  const n = programWords(argv);
  return [...argv.slice(0, n), ...fromFile, ...argv.slice(n, at[0]), ...argv.slice(at[0] + 2)];
}

/** How many leading words name the program: `sglang serve`, `python3 -m sglang.launch_server`, `vllm serve [MODEL]`. */
function programWords(argv: readonly string[]): number {
  if (argv[0] === 'sglang') return 2;
  if (argv[0] === 'vllm') return argv[2] !== undefined && !argv[2].startsWith('-') ? 3 : 2;
  if (argv[1] === '-m') return 3;
  return 0; // the vllm/vllm-openai image's entrypoint: only the API server's options
}

/** vLLM takes the key from VLLM_API_KEY when --api-key is absent (vllm/entrypoints/openai/api_server.py, build_app). */
export const vllmEnvApiKey = (env: NodeJS.ProcessEnv): string | undefined => env.VLLM_API_KEY || undefined;
