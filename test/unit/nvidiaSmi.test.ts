import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNvidiaSmi, summarizeGpus, shortGpuName, describeGpu, type SmiRun } from '../../src/core/hosts/nvidiaSmi';
import { parseProbeOutput } from '../../src/core/hosts/remoteProbe';
import type { GpuInfo } from '../../src/core/hosts/hostModel';

// The field corpus: what real nvidia-smi printed in public bug reports (one folder per case, source.txt names it).
const FIELD = path.resolve(__dirname, '../../../test/field/nvidia-smi');

interface Expected {
  state: string;
  gpuCount: number;
  warnings: string[];
  errorIncludes?: string;
  gpus?: Array<Partial<GpuInfo> & { index: number }>;
  summary?: string;
  mig?: Record<string, number>;
  migProfiles?: Record<string, string[]>;
  migUuids?: Record<string, string[]>;
  describe0?: string;
}

const read = (dir: string, f: string): string | undefined => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
const runOf = (dir: string, k: string): SmiRun | undefined => {
  const exit = read(dir, `${k}.exit`);
  if (exit === undefined) return undefined;
  return { stdout: read(dir, `${k}.stdout`) ?? '', stderr: read(dir, `${k}.stderr`) ?? '', exitCode: Number(exit.trim()) };
};

/** Checks one report against a case's expected.json; shared with the probe-script path below. */
function check(name: string, r: { gpus: readonly GpuInfo[]; state?: string; warnings?: readonly string[]; error?: string }, e: Expected): void {
  assert.equal(r.state, e.state, `${name}: state (${r.error})`);
  assert.equal(r.gpus.length, e.gpuCount, `${name}: GPU count`);
  assert.deepEqual(r.warnings, e.warnings, `${name}: warnings`);
  if (e.errorIncludes) assert.ok(r.error?.includes(e.errorIncludes), `${name}: error "${r.error}" should say "${e.errorIncludes}"`);
  else assert.equal(r.error, undefined, `${name}: no error`);
  for (const g of e.gpus ?? []) {
    const got = r.gpus.find((x) => x.index === g.index);
    assert.ok(got, `${name}: GPU ${g.index}`);
    for (const [k, v] of Object.entries(g)) assert.deepEqual(got[k as keyof GpuInfo], v, `${name}: GPU ${g.index} ${k}`);
  }
  if (e.summary) assert.equal(summarizeGpus(r.gpus), e.summary, `${name}: summary`);
  for (const [i, n] of Object.entries(e.mig ?? {})) assert.equal(r.gpus.find((g) => g.index === Number(i))?.mig?.length ?? 0, n, `${name}: MIG devices on GPU ${i}`);
  for (const [i, ps] of Object.entries(e.migProfiles ?? {})) assert.deepEqual([...new Set(r.gpus.find((g) => g.index === Number(i))?.mig?.map((m) => m.profile))], ps, `${name}: MIG profiles`);
  for (const [i, us] of Object.entries(e.migUuids ?? {})) assert.deepEqual(r.gpus.find((g) => g.index === Number(i))?.mig?.map((m) => m.uuid), us, `${name}: MIG UUIDs`);
  if (e.describe0) assert.equal(describeGpu(r.gpus[0]), e.describe0, `${name}: GPU 0 detail`);
}

const cases = fs.readdirSync(FIELD).sort();

test('the nvidia-smi field corpus has at least 5 cases per kind beyond the issue\'s example', () => {
  const kinds = { warnings: 0, unknownFields: 0, mig: 0, mixed: 0 };
  for (const c of cases) {
    const e = JSON.parse(read(path.join(FIELD, c), 'expected.json')!) as Expected;
    if (c.startsWith('mig-')) kinds.mig++;
    else if (c.startsWith('mixed-')) kinds.mixed++;
    else if (e.gpus?.some((g) => Object.values(g).includes(null))) kinds.unknownFields++;
    else kinds.warnings++;
    assert.ok(read(path.join(FIELD, c), 'source.txt')!.trim().length > 10, `${c}: source.txt names the public report`);
  }
  for (const [k, n] of Object.entries(kinds)) assert.ok(n >= 5, `${k}: ${n} cases`);
});

for (const c of cases) {
  test(`nvidia-smi field case ${c}: read directly and through the probe script's framing`, () => {
    const dir = path.join(FIELD, c);
    const e = JSON.parse(read(dir, 'expected.json')!) as Expected;
    const query = runOf(dir, 'query')!;
    const list = runOf(dir, 'list');
    check(c, readNvidiaSmi(query, list), e);
    // The same bytes as PROBE_SCRIPT frames them (stderr lines prefixed "@@! ", exit codes on their own lines).
    const framed = (k: string, r: SmiRun): string => [`@@${k}`, ...r.stdout.split('\n').filter(Boolean), ...r.stderr.split('\n').filter(Boolean).map((l) => `@@! ${l}`), `@@${k}_rc ${r.exitCode}`].join('\n');
    const probeText = query.exitCode === 127 ? '@@os\nDebian\n@@gpus\n@@gpus_rc 127\n' : `@@os\nDebian\n${framed('gpus', query)}\n${list ? framed('gpulist', list) : ''}\n`;
    const p = parseProbeOutput(probeText);
    check(`${c} (probe)`, { gpus: p.gpus, state: p.gpuState, warnings: p.gpuWarnings, error: p.gpuError }, e);
  });
}

test('issue example: 8 valid rows + infoROM warning on stderr + exit 14 → 8 GPUs and the warning, not "no GPUs"', () => {
  const rows = Array.from({ length: 8 }, (_, i) => `${i}, NVIDIA H100 80GB HBM3, 81559, 0, 0, ${30 + i}, 00000000:${(0x18 + i * 16).toString(16).toUpperCase()}:00.0, GPU-${i}`).join('\n');
  const r = readNvidiaSmi({ stdout: `${rows}\n`, stderr: 'WARNING: infoROM is corrupted at gpu 0000:B3:00.0\n', exitCode: 14 });
  assert.equal(r.gpus.length, 8);
  assert.deepEqual(r.warnings, ['WARNING: infoROM is corrupted at gpu 0000:B3:00.0']);
  assert.equal(summarizeGpus(r.gpus), '8× H100 80GB · 0% · 0/637 GB');
});

test('unknown is never 0: [N/A] prints "?" in the summary and the GPU detail', () => {
  const r = readNvidiaSmi({ stdout: '0, NVIDIA H200, 143771, 512, [N/A], [Not Supported], 00000000:18:00.0, GPU-1\n', stderr: '', exitCode: 0 });
  assert.equal(r.gpus[0].utilizationPct, null);
  assert.equal(r.gpus[0].temperatureC, null);
  assert.equal(describeGpu(r.gpus[0]), '?% · 1/140 GB · ?°C');
  assert.equal(shortGpuName(r.gpus[0].name), 'H200');
});

test('a line that is not a row is a warning, never a silent zero GPU', () => {
  const r = readNvidiaSmi({ stdout: 'garbage\n', stderr: '', exitCode: 0 });
  assert.equal(r.gpus.length, 0);
  assert.equal(r.state, 'no-devices');
  assert.match(r.error ?? '', /printed no GPU row: garbage/);
});
