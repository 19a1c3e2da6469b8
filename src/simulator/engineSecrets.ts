import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';

/**
 * SGLang's `--config FILE.yaml`: each `key: value` becomes `--key value` (booleans: `--key` when true), inserted before
 * the command line's own arguments, and `--config FILE` is removed (python/sglang/srt/server_args_config_parser.py,
 * ConfigArgumentMerger.merge_config_with_args). The launcher passes the API key this way, so the simulator must too.
 * Throws like SGLang: only one --config, a .yaml/.yml file, a mapping at the root.
 */
export function mergeSglangConfigFile(argv: readonly string[]): string[] {
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
  // The engine command's program words (python3 -m sglang.launch_server, or sglang serve) stay first.
  const n = argv[0] === 'sglang' ? 2 : 3;
  return [...argv.slice(0, n), ...fromFile, ...argv.slice(n, at[0]), ...argv.slice(at[0] + 2)];
}

/** vLLM takes the key from VLLM_API_KEY when --api-key is absent (vllm/entrypoints/openai/api_server.py, build_app). */
export const vllmEnvApiKey = (env: NodeJS.ProcessEnv): string | undefined => env.VLLM_API_KEY || undefined;
