// The engines' `--config FILE.yaml` (how the launcher hands over the API key without argv or environment): the
// simulator merges it as SGLang (server_args_config_parser.py) and vLLM (FlexibleArgumentParser._pull_args_from_config)
// do — after the program words and vLLM's model tag, before the command line's own options, `--config FILE` removed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mergeConfigFile } from '../../src/simulator/engineSecrets';
import { parseEngineCommand } from '../../src/simulator/engineArgs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-cfg-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'k.api-key.yaml');
fs.writeFileSync(file, 'api-key: "sk-a b:c"\nenable-metrics: true\ndisable-log-requests: false\n', { mode: 0o600 });

test('vllm serve MODEL --config: options go after the model tag, the key is read, the flag pair is gone', () => {
  const argv = mergeConfigFile(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--tensor-parallel-size', '8', '--config', file, '--port', '8000']);
  assert.deepEqual(argv, ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--api-key', 'sk-a b:c', '--enable-metrics', '--tensor-parallel-size', '8', '--port', '8000']);
  assert.equal(parseEngineCommand(argv).apiKey, 'sk-a b:c');
});

test('the vllm/vllm-openai image form (options only) and SGLang forms', () => {
  assert.deepEqual(mergeConfigFile(['--model', 'm', '--config', file]), ['--api-key', 'sk-a b:c', '--enable-metrics', '--model', 'm']);
  assert.deepEqual(mergeConfigFile(['python3', '-m', 'sglang.launch_server', '--model-path', 'm', '--config', file]).slice(0, 5), ['python3', '-m', 'sglang.launch_server', '--api-key', 'sk-a b:c']);
  assert.deepEqual(mergeConfigFile(['sglang', 'serve', '--config', file, '--model-path', 'm']).slice(0, 4), ['sglang', 'serve', '--api-key', 'sk-a b:c']);
});

test('refused like the engines: two --config, a missing path, a non-YAML name, a list at the root', () => {
  assert.throws(() => mergeConfigFile(['vllm', 'serve', 'm', '--config', file, '--config', file]), /Only one allowed/);
  assert.throws(() => mergeConfigFile(['vllm', 'serve', 'm', '--config']), /No config file specified/);
  assert.throws(() => mergeConfigFile(['vllm', 'serve', 'm', '--config', path.join(dir, 'k.json')]), /must be YAML/);
  const list = path.join(dir, 'list.yaml');
  fs.writeFileSync(list, '- a\n- b\n');
  assert.throws(() => mergeConfigFile(['vllm', 'serve', 'm', '--config', list]), /dictionary at root/);
});
