// "Apply to profile" of the tuning view: the chosen settings land in the user's *.deepseek.yaml with a comment naming
// the tuning run, and nothing else of the file changes (comments, order, other fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfileYaml } from '../../src/core/profiles/profileYaml';
import type { Profile } from '../../src/core/profiles/profileSchema';
import { applyTunedProfile, TUNED_COMMENT_MARK } from '../../src/core/tune/applyToProfile';

const PROFILE = `# Our R1 box: keep this note
name: r1-sim
host: local
engine: {kind: simulator, imitates: vllm}
model:
  id: deepseek-ai/DeepSeek-R1 # the 0528 weights are not mirrored yet
parallel:
  tp: 8
knobs:
  # the seed's value; tuning decides
  maxNumSeqs: 64
  maxModelLen: 8000
runtime: {kind: process}
`;

const tune = (base: Profile, edit: (p: { parallel: Record<string, unknown>; knobs: Record<string, unknown> }) => void): Profile => {
  const t = structuredClone(base) as unknown as { parallel: Record<string, unknown>; knobs: Record<string, unknown> };
  edit(t);
  return t as unknown as Profile;
};

test('writes the changed serve settings, keeps every comment and field, and names the run at the top', () => {
  const base = parseProfileYaml(PROFILE);
  const tuned = tune(base, (p) => {
    p.parallel.tp = 1;
    p.parallel.dp = 8;
    p.parallel.expertParallel = true;
    p.knobs.maxNumSeqs = 256;
    p.knobs.kvCacheDtype = 'fp8';
    p.knobs.port = 41234; // each tuning launch gets its own port: not a tuning result
  });
  const out = applyTunedProfile(PROFILE, base, tuned, { runId: '20261130-1040-r1-grid', configuration: 'parallel dp8-ep · maxNumSeqs 256', why: 'highest goodput per GPU (0.41 req/s) meeting p99 TTFT ≤ 2000 ms', finishedAt: '2026-11-30T10:52:00Z' });
  assert.deepEqual(out.changed.sort(), ['knobs.kvCacheDtype', 'knobs.maxNumSeqs', 'parallel.dp', 'parallel.expertParallel', 'parallel.tp']);
  const lines = out.text.split('\n');
  assert.equal(lines[0], `# ${TUNED_COMMENT_MARK}, run 20261130-1040-r1-grid (2026-11-30T10:52:00Z): parallel dp8-ep · maxNumSeqs 256 (highest goodput per GPU (0.41 req/s) meeting p99 TTFT ≤ 2000 ms)`);
  for (const kept of ['# Our R1 box: keep this note', '# the 0528 weights are not mirrored yet', '# the seed\'s value; tuning decides', 'maxModelLen: 8000', 'runtime: {kind: process}', 'engine: {kind: simulator, imitates: vllm}']) {
    assert.ok(out.text.includes(kept), `lost: ${kept}\n${out.text}`);
  }
  const again = parseProfileYaml(out.text);
  assert.equal(again.parallel.tp, 1);
  assert.equal(again.parallel.dp, 8);
  assert.equal(again.parallel.expertParallel, true);
  assert.equal(again.knobs.maxNumSeqs, 256);
  assert.equal(again.knobs.kvCacheDtype, 'fp8');
  assert.equal(again.knobs.port, 8000, 'the launch port of a tuning run is not written back');
  assert.equal(again.knobs.maxModelLen, 8000);
  // The order of the user's keys stays: name, host, engine, model, parallel, knobs, runtime.
  assert.deepEqual(Object.keys(parseProfileYamlKeys(out.text)), ['name', 'host', 'engine', 'model', 'parallel', 'knobs', 'runtime']);
});

test('applying a second run replaces the first run\'s comment instead of stacking them', () => {
  const base = parseProfileYaml(PROFILE);
  const first = applyTunedProfile(PROFILE, base, tune(base, (p) => { p.knobs.maxNumSeqs = 128; }), { runId: 'run-a', configuration: 'maxNumSeqs 128' });
  const base2 = parseProfileYaml(first.text);
  const second = applyTunedProfile(first.text, base2, tune(base2, (p) => { p.knobs.maxNumBatchedTokens = 8192; }), { runId: 'run-b', configuration: 'maxNumBatchedTokens 8192' });
  assert.equal(second.text.split(TUNED_COMMENT_MARK).length - 1, 1, second.text);
  assert.match(second.text, /run run-b/);
  assert.doesNotMatch(second.text, /run run-a/);
  assert.ok(second.text.includes('# Our R1 box: keep this note'));
  assert.equal(parseProfileYaml(second.text).knobs.maxNumSeqs, 128, 'the earlier applied value stays');
  assert.equal(parseProfileYaml(second.text).knobs.maxNumBatchedTokens, 8192);
});

test('a run id or reason with a line break cannot inject YAML through the comment', () => {
  const base = parseProfileYaml(PROFILE);
  const out = applyTunedProfile(PROFILE, base, base, { runId: 'x\nknobs: {port: 1}', configuration: 'c\r\nname: evil' });
  assert.deepEqual(out.changed, []);
  const p = parseProfileYaml(out.text);
  assert.equal(p.name, 'r1-sim');
  assert.equal(p.knobs.port, 8000);
  assert.equal(out.text.split('\n').filter((l) => l.startsWith('#') && l.includes(TUNED_COMMENT_MARK)).length, 1);
});

test('a tuned value the schema refuses is reported with its field, and nothing is returned to write', () => {
  const base = parseProfileYaml(PROFILE);
  assert.throws(() => applyTunedProfile(PROFILE, base, tune(base, (p) => { p.knobs.gpuMemoryUtilization = 1.5; }), { runId: 'r', configuration: 'c' }), /knobs\.gpuMemoryUtilization/);
});

/** The top-level keys of a YAML mapping, in file order. */
function parseProfileYamlKeys(text: string): Record<string, unknown> {
  return Object.fromEntries(text.split('\n').filter((l) => /^[a-z]\w*:/.test(l)).map((l) => [l.split(':')[0], true]));
}
