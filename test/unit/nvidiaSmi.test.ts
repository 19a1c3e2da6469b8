import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNvidiaSmiCsv, summarizeGpus, shortGpuName } from '../../src/core/hosts/nvidiaSmi';

const EIGHT_H100 = Array.from({ length: 8 }, (_, i) => `${i}, NVIDIA H100 80GB HBM3, 81559, ${i < 4 ? 10240 : 0}, ${i < 4 ? 24 : 0}, ${35 + i}`).join('\n') + '\n';

test('parses nvidia-smi CSV (noheader, nounits) and summarises like the Hosts view', () => {
  const gpus = parseNvidiaSmiCsv(EIGHT_H100);
  assert.equal(gpus.length, 8);
  assert.deepEqual(gpus[3], { index: 3, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, memoryUsedMiB: 10240, utilizationPct: 24, temperatureC: 38 });
  assert.equal(summarizeGpus(gpus), '8× H100 80GB · 12% · 40/637 GB');
});

test('[N/A] fields read as 0 instead of breaking the host view', () => {
  const [g] = parseNvidiaSmiCsv('0, NVIDIA H200, 143771, 512, [N/A], [Not Supported]');
  assert.equal(g.utilizationPct, 0);
  assert.equal(g.temperatureC, 0);
  assert.equal(shortGpuName(g.name), 'H200');
});

test('a malformed line is a clear error, not a silent zero', () => {
  assert.throws(() => parseNvidiaSmiCsv('garbage'), /unexpected nvidia-smi line/);
});
