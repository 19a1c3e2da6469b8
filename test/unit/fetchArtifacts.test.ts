// Issue 2/8 pre-flight: weights missing from the HF cache are offered as a download step (`hf download`, resumable)
// before the engine starts, and an image missing on a docker host as `docker pull`. Run for real on this machine with
// the same runner as "This machine" launches: a stand-in `hf` on PATH prints progress bars (carriage returns) and
// fills $HF_HOME like huggingface_hub, after which pre-flight finds the weights.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProfileSchema } from '../../src/core/profiles/profileSchema';
import { runPreflight } from '../../src/core/launch/preflight';
import { localRunner } from '../../src/core/launch/runners';
import { FetchError, fetchSteps, runFetchSteps } from '../../src/core/launch/fetchArtifacts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-fetch-'));
const saved = { PATH: process.env.PATH, HF_HOME: process.env.HF_HOME };
after(() => {
  process.env.PATH = saved.PATH;
  if (saved.HF_HOME === undefined) delete process.env.HF_HOME;
  else process.env.HF_HOME = saved.HF_HOME;
  fs.rmSync(tmp, { recursive: true, force: true });
});
const bin = path.join(tmp, 'bin');
fs.mkdirSync(bin);
process.env.HF_HOME = path.join(tmp, 'hf');
process.env.PATH = `${bin}:${saved.PATH}`;

const profile = (id: string): ReturnType<typeof ProfileSchema.parse> => ProfileSchema.parse({ name: 'w', host: 'local', engine: { kind: 'vllm' }, model: { id }, parallel: { tp: 8 }, runtime: { kind: 'process' } });

test('missing weights → an `hf download MODEL` step; its progress arrives line by line; afterwards pre-flight finds them', async () => {
  fs.writeFileSync(path.join(bin, 'hf'), `#!/bin/sh
[ "$1" = download ] || exit 2
printf 'Fetching 3 files:   0%%|          | 0/3\\rFetching 3 files:  33%%|###       | 1/3\\rFetching 3 files: 100%%|##########| 3/3\\n' >&2
mkdir -p "$HF_HOME/hub/models--$(echo "$2" | sed 's#/#--#g')/snapshots/abc123"
echo "$HF_HOME/hub/models--$(echo "$2" | sed 's#/#--#g')/snapshots/abc123"
`, { mode: 0o755 });
  const p = profile('deepseek-ai/DeepSeek-V3.2');
  const before = await runPreflight(p, undefined, localRunner());
  assert.equal(before.weightsMissing, true);
  const steps = fetchSteps(p, before);
  assert.deepEqual(steps.map((s) => [s.kind, s.title]), [['download-weights', 'Download deepseek-ai/DeepSeek-V3.2']]);
  const lines: string[] = [];
  await runFetchSteps(localRunner(), steps, { onLine: (_s, l) => lines.push(l) });
  assert.deepEqual(lines.filter((l) => l.startsWith('Fetching')).map((l) => l.replace(/\|.*/, '')), ['Fetching 3 files:   0%', 'Fetching 3 files:  33%', 'Fetching 3 files: 100%']);
  assert.ok(lines.some((l) => l.endsWith('/snapshots/abc123')));
  const again = await runPreflight(p, undefined, localRunner());
  assert.ok(!again.weightsMissing, 'pre-flight still says the weights are missing');
  assert.deepEqual(fetchSteps(p, again), []);
});

test('a download that fails is reported with its exit status and last lines; a local model path gets no download step', async () => {
  fs.writeFileSync(path.join(bin, 'hf'), '#!/bin/sh\necho "401 Client Error: Repository Not Found for url: https://huggingface.co/api/models/x/y" >&2\nexit 1\n', { mode: 0o755 });
  const p = profile('x/y');
  const steps = fetchSteps(p, await runPreflight(p, undefined, localRunner()));
  await assert.rejects(runFetchSteps(localRunner(), steps), (e: unknown) => e instanceof FetchError && /Download x\/y failed \(exit 1\): 401 Client Error: Repository Not Found/.test(e.message));
  const local = profile('/models/not-here');
  const pre = await runPreflight(local, undefined, localRunner());
  assert.ok(pre.problems.some((x) => x.code === 'weights-missing'), 'a missing local path is refused by pre-flight');
  assert.deepEqual(fetchSteps(local, pre), []);
});

test('an image missing on a docker host → `docker pull IMAGE` of the profile\'s image', () => {
  const p = ProfileSchema.parse({ name: 'd', host: 'local', engine: { kind: 'vllm', version: '0.20.0' }, model: { id: 'deepseek-ai/DeepSeek-V4-Flash' }, parallel: { tp: 4 }, runtime: { kind: 'docker' } });
  const steps = fetchSteps(p, { problems: [], notes: [], imageMissing: 'vllm/vllm-openai:v0.20.0' });
  assert.deepEqual(steps.map((s) => [s.title, s.argv.join(' ')]), [['Pull vllm/vllm-openai:v0.20.0', 'docker pull vllm/vllm-openai:v0.20.0']]);
});
