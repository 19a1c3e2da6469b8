import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { arrivalSchedule } from '../../src/core/bench/arrivals';
import { LegacyRandomState, Pcg64Generator, PythonRandom } from '../../src/core/bench/numpyRandom';
import { randomDraws } from '../../src/core/bench/workload';
import { burstgptRequests } from '../../src/core/bench/fileDatasets';
import { pyFixed2, pyFloatRepr, pyJson } from '../../src/core/bench/pyFormat';
import { isResultFloatKey } from '../../src/core/bench/report';
import { ArgError, parseVllmArgs } from '../../src/cli/vllmArgParse';
import { OUR_BENCH_OPTIONS, VLLM_BENCH_OPTIONS } from '../../src/cli/vllmBenchOptions';
import { buildBenchConfig, namespaceLine } from '../../src/cli/benchCommand';

// vLLM's traffic and prompts come from numpy; these tests compute the same draws with Debian's python3-numpy (provisioned
// by test/infra/provision-vscode-host.sh) and compare. Nothing here is stored: every expected value is numpy's output.
const py = (code: string): unknown => JSON.parse(execFileSync('python3', ['-c', `import numpy as np, json, random, math\n${code}`], { encoding: 'utf8', maxBuffer: 64 << 20 }));
const REF = path.resolve(__dirname, '../../../../shared/reference/vllm-results');

test('arrival schedules equal numpy\'s (serve.py get_request) for 6 seeds × burstiness {0.5, 1, 2} × 3 rates, relative error ≤ 1e-12', () => {
  const seeds = [0, 1, 7, 42, 12345, 4294967295];
  const bs = [0.5, 1, 2];
  const rates = [1, 20, 137.5];
  const n = 300;
  const expected = py(`
out = []
for seed in ${JSON.stringify(seeds)}:
  for b in ${JSON.stringify(bs)}:
    for r in ${JSON.stringify(rates)}:
      np.random.seed(seed)
      d = [np.random.gamma(shape=b, scale=1.0 / (r * b)) for _ in range(${n})]
      for i in range(1, len(d)): d[i] += d[i - 1]
      f = (${n} / r) / d[-1]
      out.append([x * f for x in d])
print(json.dumps(out))`) as number[][];
  let k = 0;
  let worst = 0;
  for (const seed of seeds)
    for (const b of bs)
      for (const r of rates) {
        const ours = arrivalSchedule(n, r, b, seed).delays;
        const want = expected[k++];
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ours[i] - want[i]) / Math.abs(want[i]));
      }
  assert.equal(k, 54);
  assert.ok(worst <= 1e-12, `worst relative error ${worst}`);
});

test('ramp-up schedules (linear, exponential) and burstiness inf equal vLLM\'s, without the rescaling', () => {
  const want = py(`
def rate(s, i, n, a, b):
  p = i / max(n - 1, 1)
  return a + (b - a) * p if s == 'linear' else a * ((b / a) ** p)
out = []
for s in ['linear', 'exponential']:
  np.random.seed(3)
  d = [np.random.gamma(shape=0.7, scale=1.0 / (rate(s, i, 50, 2, 40) * 0.7)) for i in range(50)]
  for i in range(1, 50): d[i] += d[i - 1]
  out.append(d)
print(json.dumps(out))`) as number[][];
  for (const [i, strategy] of (['linear', 'exponential'] as const).entries()) {
    const ours = arrivalSchedule(50, Infinity, 0.7, 3, { strategy, startRps: 2, endRps: 40 });
    ours.delays.forEach((x, j) => assert.ok(Math.abs(x - want[i][j]) <= 1e-12 * want[i][j], `${strategy} ${j}`));
    assert.equal(ours.rates[0], 2);
    assert.equal(ours.rates[49], 40);
  }
  assert.deepEqual(Array.from(arrivalSchedule(4, 2, Infinity, 0).delays), [0.5, 1, 1.5, 2]);
  assert.ok(arrivalSchedule(10, Infinity, 1, 0).delays.every((x) => x === 0));
  assert.throws(() => arrivalSchedule(3, 1, 0, 0), /A positive burstiness factor is expected, but given 0\./);
});

test('random-dataset token ids equal numpy default_rng\'s (vLLM RandomDataset before decode) for 3 seeds, exactly', () => {
  const cases = [[0, 1000, 200, 0, 0], [42, 300, 64, 0.25, 7], [987654321, 40, 10, 0.5, 3]] as const;
  const want = py(`
allowed = np.array(list(set(np.arange(128000)) - set([0, 1])))
out = []
for seed, input_len, output_len, ratio, prefix in ${JSON.stringify(cases)}:
  rng = np.random.default_rng(seed)
  real = max(0, input_len - 1)
  il, ih = math.floor(real * (1 - ratio)), math.ceil(real * (1 + ratio))
  ol, oh = max(math.floor(output_len * (1 - ratio)), 1), max(math.ceil(output_len * (1 + ratio)), 1)
  ins = rng.integers(il, ih + 1, size=25); outs = rng.integers(ol, oh + 1, size=25); offs = rng.integers(0, 128000, size=25)
  pre = allowed[rng.integers(0, len(allowed), size=prefix)].tolist() if prefix > 0 else []
  out.append([[int(ins[i]), int(outs[i]), pre + allowed[(int(offs[i]) + i + np.arange(int(ins[i]))) % len(allowed)].tolist()] for i in range(25)])
print(json.dumps(out))`) as [number, number, number[]][][];
  cases.forEach(([seed, inputLen, outputLen, ratio, prefix], k) => {
    const ours = randomDraws({ numPrompts: 25, inputLen, outputLen, rangeRatio: ratio, prefixLen: prefix, seed });
    assert.deepEqual(ours.map((d) => [d.inputLen, d.outputLen, d.ids]), want[k], `seed ${seed}`);
  });
});

test('file datasets draw like vLLM: Python random (shuffle, choice, random) and legacy numpy (randint, permutation) equal CPython/numpy', () => {
  const want = py(`
out = []
for s in [0, 5, 2**40 + 3]:
  random.seed(s); a = list(range(37)); random.shuffle(a); out.append([a, random.choice(a), random.random()])
np.random.seed(11); out.append([np.random.randint(0, 128000, size=20).tolist(), np.random.permutation(17).tolist(), np.random.randint(0, 5, size=9).tolist()])
print(json.dumps(out))`) as unknown[][];
  [0, 5, 2 ** 40 + 3].forEach((s, i) => {
    const r = new PythonRandom(s);
    const a = Array.from({ length: 37 }, (_, j) => j);
    r.shuffle(a);
    assert.deepEqual([a, r.choice(a), r.randomSample()], want[i]);
  });
  const np = new LegacyRandomState(11);
  assert.deepEqual([np.randint(0, 128000, 20), np.permutation(17), np.randint(0, 5, 9)], want[3]);
  assert.deepEqual(new Pcg64Generator(0).integers(0, 10, 0), []);
});

test('printout rounds like Python format(x, ".2f"): ties to even on the exact binary value (0.125 → 0.12), the rest exact', () => {
  const xs = [0.125, 0.375, 0.625, 0.875, 2.675, 1.005, 1.015, -0.125, -2.5, 0.005, 1e-9, 12345.125, 709.2660684438, 4255.5964106628, 19.998337408291157, 0, 99.995, 1e20, 2.5, 3.125, 16 + 1 / 8, 1023.625];
  const want = py(`print(json.dumps([format(x, '.2f') for x in ${JSON.stringify(xs)}] + [format(-0.0, '.2f')]))`) as string[];
  assert.deepEqual([...xs.map(pyFixed2), pyFixed2(-0)], want);
  assert.equal(pyFixed2(0.125), '0.12');
  assert.equal((0.125).toFixed(2), '0.13', 'JavaScript alone would round the tie up');
});

test('result files write floats as Python does (repr, json.dumps): 20.0, 9.13449998733995e-05, 1e+16, ensure_ascii', () => {
  const xs = [20, 1, 0.0001, 9.13449998733995e-5, 1e16, 1.5e-7, 123456789012345680, 3.546330342219, 0.1 + 0.2, 1e-4 * 3, 5e-324];
  const want = py(`print(json.dumps([repr(float(x)) for x in ${JSON.stringify(xs)}]))`) as string[];
  assert.deepEqual(xs.map(pyFloatRepr), want);
  const obj = { request_rate: 20, burstiness: 1, num_prompts: 32, latencies: [4, 0.5], itls: [[0.02, 1]], label: null, text: 'é\u007f"\n', mean_ttft_ms: 155, p99_9_ttft_ms: 1 };
  const wantText = execFileSync('python3', ['-c', `import json; print(json.dumps({"request_rate": 20.0, "burstiness": 1.0, "num_prompts": 32, "latencies": [4.0, 0.5], "itls": [[0.02, 1.0]], "label": None, "text": "é\\x7f\\"\\n", "mean_ttft_ms": 155.0, "p99_9_ttft_ms": 1.0}))`], { encoding: 'utf8' }).trim();
  assert.equal(pyJson(obj, isResultFloatKey), wantText);
});

test('options: all of vllm bench serve\'s, with argparse rules (--opt=value, underscores, prefixes, nargs lists, dotted JSON)', () => {
  // serve.py add_cli_args + add_dataset_parser at 009e6d4a: the 90 entries of its Namespace line (argparse's --help is
  // the 91st option); the Namespace test below checks names, order and defaults against vLLM's own printout.
  assert.equal(VLLM_BENCH_OPTIONS.length, 90);
  const specs = [...VLLM_BENCH_OPTIONS, ...OUR_BENCH_OPTIONS];
  const p = (a: string[]): Map<string, unknown> => parseVllmArgs(a, specs).values;
  const num = (v: unknown): unknown => (typeof v === 'object' && v !== null && 'value' in v ? (v as { value: number }).value : v);
  assert.equal(p(['--num-prompts=5']).get('num_prompts'), 5);
  assert.equal(p(['--num_prompts', '6']).get('num_prompts'), 6);
  assert.equal(p(['--random-input', '200']).get('random_input_len'), 200, 'unique prefix (argparse allow_abbrev)');
  assert.equal(num(p(['--request_rate=inf']).get('request_rate')), Infinity);
  assert.equal(p(['--num-prompts', '1_000']).get('num_prompts'), 1000, 'Python int() accepts underscores');
  assert.deepEqual(p(['--goodput', 'ttft:500', 'tpot:50', '--seed', '3']).get('goodput'), ['ttft:500', 'tpot:50']);
  assert.deepEqual(p(['--goodput', 'ttft:1', '--goodput', 'e2el:9']).get('goodput'), ['e2el:9'], 'a repeated nargs option replaces the earlier list');
  assert.deepEqual(p(['--metadata', 'version=0.6.0', 'tp=1']).get('metadata'), ['version=0.6.0', 'tp=1']);
  assert.deepEqual(p(['--extra-body', '{"a": 1}', '--extra-body.chat_template_kwargs.thinking', 'true', '--extra_body.stop+', 'x,y']).get('extra_body'), { a: 1, chat_template_kwargs: { thinking: true }, stop: ['x', 'y'] });
  assert.equal(p(['--no-self-timed']).get('self_timed'), false);
  assert.equal(p(['--temperature=0']).has('temperature'), true);
  const err = (a: string[]): string => {
    try {
      parseVllmArgs(a, specs);
    } catch (e) {
      assert.ok(e instanceof ArgError);
      return e.message;
    }
    return '';
  };
  assert.equal(err(['--num-prompts', 'ten']), "argument --num-prompts: invalid int value: 'ten'");
  assert.equal(err(['--request-rate', '<1,2,4,8,inf>']), "argument --request-rate: invalid float value: '<1,2,4,8,inf>'");
  assert.match(err(['--backend', 'openai-responses']), /^argument --backend: invalid choice: 'openai-responses' \(choose from 'vllm', 'openai', 'openai-chat'/);
  assert.equal(err(['--save-result=yes']), "argument --save-result: ignored explicit argument 'yes'");
  assert.match(err(['--random']), /^ambiguous option: --random could match --random-input-len, /);
  assert.equal(err(['--enable-multimodal-chat']), 'unrecognized arguments: --enable-multimodal-chat');
  assert.equal(err(['--goodput']), 'argument --goodput: expected at least one argument');
});

test('the Namespace line equals the one vLLM printed for the reference runs (every option, its default, Python repr)', () => {
  for (const name of ['default_r20', 'detailed_label', 'goodput_pcts']) {
    const ref = fs.readFileSync(path.join(REF, `${name}.stdout.txt`), 'utf8').split('\n')[0];
    const argv = ['--dataset-name', 'random', '--random-input-len', '1000', '--random-output-len', '200', '--num-prompts', '32', '--max-concurrency', '16', '--ignore-eos', '--save-result', '--base-url', 'http://127.0.0.1:8825', '--result-dir', `/tmp/results/${name}`, '--request-id-prefix', /request_id_prefix='([^']*)'/.exec(ref)![1]];
    if (name !== 'goodput_pcts') argv.push('--request-rate', '20', '--burstiness', '1');
    if (name === 'detailed_label') argv.push('--save-detailed', '--label', 'mylabel');
    if (name === 'goodput_pcts') argv.push('--goodput', 'ttft:152', 'tpot:20.01', 'e2el:4200', '--metric-percentiles', '25,50,99.9', '--percentile-metrics', 'ttft,tpot,itl,e2el');
    const b = buildBenchConfig(argv);
    assert.ok(!('help' in b));
    assert.equal(namespaceLine(b.ns), ref, name);
  }
});

test('vLLM\'s own refusals, before any request: ramp-up with a rate, random with a file, bad goodput, a chat backend on /v1/completions', () => {
  const e = (a: string[]): string => {
    try {
      buildBenchConfig(a);
    } catch (x) {
      return (x as Error).message;
    }
    return '';
  };
  assert.match(e(['--ramp-up-strategy', 'linear', '--ramp-up-start-rps', '1', '--ramp-up-end-rps', '5', '--request-rate', '3']), /^When using ramp-up, do not specify --request-rate\./);
  assert.match(e(['--ramp-up-strategy', 'exponential', '--ramp-up-start-rps', '0', '--ramp-up-end-rps', '5']), /^For exponential ramp-up, the start RPS cannot be 0\./);
  assert.match(e(['--dataset-path', '/etc/hostname']), /^Cannot use 'random' dataset with --dataset-path\./);
  assert.match(e(['--goodput', 'ttfx:5']), /^Invalid metric name found, ttfx: 5\./);
  assert.match(e(['--goodput', 'ttft=5']), /^Invalid format found for service level objectives\./);
  assert.match(e(['--backend', 'openai-chat']), /^OpenAI Chat Completions API URL must end with one of/);
  assert.match(e(['--max-concurrency', '0']), /^--max-concurrency must be greater than 0/);
  assert.match(e(['--dataset-name', 'hf', '--dataset-path', 'likaixin/InstructCoder']), /Hugging Face Hub .* not reachable from here\. Download it/);
  assert.match(e(['--backend', 'vllm-pooling', '--endpoint', '/pooling']), /only generation backends are benchmarked here/);
  assert.match(e(['--self-timed']), /only supported with --dataset-name=timed_trace/);
  // --dataset-path never switches the backend or endpoint (it used to turn completions into chat bodies).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-ds-'));
  fs.writeFileSync(path.join(dir, 'd.jsonl'), '{"prompt": "hi"}\n');
  const b = buildBenchConfig(['--backend', 'vllm', '--dataset-name', 'custom', '--dataset-path', path.join(dir, 'd.jsonl')]);
  assert.ok(!('help' in b));
  assert.equal(b.cfg.backend, 'openai');
  assert.equal(b.cfg.endpoint, '/v1/completions');
});

test('BurstGPT CSV: GPT-4 rows with responses, sampled like pandas DataFrame.sample(n, random_state=seed) (numpy RandomState choice)', () => {
  const rows = Array.from({ length: 60 }, (_, i) => `${i * 1.5},${i % 3 === 0 ? 'ChatGPT' : 'GPT-4'},${100 + ((i * 37) % 400)},${i % 7 === 0 ? 0 : 20 + ((i * 11) % 90)},0,Conversation log`);
  const csv = ['Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type', ...rows].join('\n');
  const kept = rows.map((r) => r.split(',')).filter((c) => c[1] === 'GPT-4' && Number(c[3]) > 0);
  for (const [seed, n] of [[0, 10], [3, 35], [9, 80]]) {
    // pandas: RandomState(seed).choice(len, size=n, replace=n > len) = permutation(len)[:n], or randint(0, len, n).
    const idx = py(`rs = np.random.RandomState(${seed}); print(json.dumps(rs.permutation(${kept.length})[:${n}].tolist() if ${n} <= ${kept.length} else rs.randint(0, ${kept.length}, size=${n}).tolist()))`) as number[];
    const reqs = burstgptRequests(csv, { numPrompts: n, seed, vocabSize: 128000 });
    assert.deepEqual(reqs.map((r) => [r.promptLen, r.outputLen]), idx.map((k) => [Number(kept[k][2]), Number(kept[k][3])]), `seed ${seed}`);
    reqs.forEach((r, i) => assert.deepEqual((r.prompt as number[]).slice(0, 3), [i, i + 1, i + 2]));
  }
  assert.throws(() => burstgptRequests('a,b\n1,2', { numPrompts: 1, seed: 0, vocabSize: 10 }), /needs a "Model" column/);
});
