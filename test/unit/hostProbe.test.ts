import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseProbeOutput, PROBE_SCRIPT } from '../../src/core/hosts/remoteProbe';
import { localHfCache } from '../../src/core/hosts/localProbe';
import { ProfileSchema } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { gpuSpecFromProbe } from '../../src/core/launch/launchApi';

// The probe script itself, run by a real bash here (the integration tier runs it over the real sshd): the HF cache is
// the one huggingface_hub resolves (constants.py), its free space is read where it (or its nearest parent) exists,
// and nothing is created.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-hf-'));
// Only the tools the HF section needs on PATH: a docker client here would spend seconds looking for its daemon.
const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-hf-bin-'));
for (const t of ['dirname', 'df', 'tail', 'sed', 'uname', 'cat']) {
  const p = ['/usr/bin', '/bin'].map((d) => path.join(d, t)).find((f) => fs.existsSync(f));
  if (p) fs.symlinkSync(p, path.join(bin, t));
}
after(() => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(bin, { recursive: true, force: true });
});
const probeWith = (env: Record<string, string>): ReturnType<typeof parseProbeOutput> =>
  parseProbeOutput(execFileSync('/bin/bash', ['-c', PROBE_SCRIPT], { encoding: 'utf8', env: { PATH: bin, HOME: home, ...env } }));

const cases: Array<[string, Record<string, string>, string]> = [
  ['issue example: HF_HUB_CACHE=/dev/shm/hub', { HF_HUB_CACHE: '/dev/shm/hub' }, '/dev/shm/hub'],
  ['HF_HOME only → HF_HOME/hub', { HF_HOME: `${home}/hf` }, `${home}/hf/hub`],
  ['nothing set → ~/.cache/huggingface/hub', {}, `${home}/.cache/huggingface/hub`],
  ['XDG_CACHE_HOME → $XDG_CACHE_HOME/huggingface/hub', { XDG_CACHE_HOME: `${home}/xdg` }, `${home}/xdg/huggingface/hub`],
  ['legacy HUGGINGFACE_HUB_CACHE', { HUGGINGFACE_HUB_CACHE: `${home}/legacy-hub` }, `${home}/legacy-hub`],
  ['HF_HUB_CACHE wins over HF_HOME', { HF_HOME: `${home}/hf`, HF_HUB_CACHE: `${home}/fast/hub` }, `${home}/fast/hub`],
  ['"~/…" in HF_HOME is expanded like expanduser', { HF_HOME: '~/tilde-hf' }, `${home}/tilde-hf/hub`],
];
for (const [name, env, want] of cases) {
  test(`HF cache: ${name}`, () => {
    const before = fs.readdirSync(home).sort();
    const p = probeWith(env);
    assert.equal(p.hfCachePath, want);
    assert.equal(p.hfCacheExists, fs.existsSync(want));
    assert.ok(p.hfCacheFreeGiB !== undefined && p.hfCacheFreeGiB >= 0, `free space read: ${p.hfCacheFreeGiB}`);
    assert.deepEqual(fs.readdirSync(home).sort(), before, 'the probe created nothing');
    assert.ok(!fs.existsSync(want) || want === '/dev/shm/hub' && fs.existsSync('/dev/shm/hub'), 'no cache folder created');
    // The same resolution for "This machine" (no bash involved).
    const local = localHfCache({ HOME: home, ...env }, home);
    assert.equal(local.path, want);
  });
}

test('HF cache free space is that of the file system holding the path: /dev/shm, not the home disk', () => {
  const p = probeWith({ HF_HUB_CACHE: '/dev/shm/hub' });
  const shmFree = Math.round((Number(fs.statfsSync('/dev/shm').bavail) * Number(fs.statfsSync('/dev/shm').bsize)) / 1024 ** 3 * 10) / 10;
  assert.ok(Math.abs((p.hfCacheFreeGiB ?? -1) - shmFree) <= 0.2, `${p.hfCacheFreeGiB} vs /dev/shm ${shmFree}`);
});

test('no nvidia-smi on PATH → "no NVIDIA GPU tooling" state, not an empty GPU list presented as fact', () => {
  const p = probeWith({});
  assert.equal(p.gpuState, 'no-tooling');
  assert.match(p.gpuError ?? '', /no NVIDIA GPU tooling/);
});

test('containers mount the host\'s hub cache when it is elsewhere (HF_HUB_CACHE=/dev/shm/hub), not when it is the default', () => {
  const prof = (runtime: object) => ProfileSchema.parse({ name: 'hf', host: 'h', engine: { kind: 'vllm' }, model: { id: 'deepseek-ai/DeepSeek-R1' }, parallel: { tp: 8 }, runtime });
  const docker = renderLaunch(prof({ kind: 'docker' }), { hfHubCache: '/dev/shm/hub' });
  const argv = docker.start.at(-1)!.argv;
  assert.ok(argv.join(' ').includes('-v /dev/shm/hub:/root/.cache/huggingface/hub'), argv.join(' '));
  const plain = renderLaunch(prof({ kind: 'docker' }), { hfHubCache: '/home/u/.cache/huggingface/hub' }).start.at(-1)!.argv.join(' ');
  assert.ok(!plain.includes(':/root/.cache/huggingface/hub'), plain);
  const compose = renderLaunch(prof({ kind: 'compose' }), { hfHubCache: '/scratch/hub' }).start.find((s) => s.stdin?.includes('services'))!.stdin!;
  assert.match(compose, /\/scratch\/hub:\/root\/\.cache\/huggingface\/hub/);
});

test('memory fit on a mixed host uses the smallest GPU; an [N/A] total falls back to the catalog', () => {
  const g = (index: number, name: string, mem: number | null) => ({ index, name, memoryTotalMiB: mem, memoryUsedMiB: 0, utilizationPct: 0, temperatureC: 30 });
  const mixed = gpuSpecFromProbe({ os: 'x', gpus: [g(0, 'NVIDIA H200', 143771), g(1, 'NVIDIA H100 80GB HBM3', 81559)], probedAt: 0 });
  assert.equal(mixed?.count, 2);
  assert.equal(mixed?.model.memoryMiB, 81559);
  const na = gpuSpecFromProbe({ os: 'x', gpus: [g(0, 'NVIDIA H100 80GB HBM3', null)], probedAt: 0 });
  assert.ok((na?.model.memoryMiB ?? 0) > 70_000, JSON.stringify(na));
});
