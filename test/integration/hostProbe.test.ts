import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRemoteHosts } from '../../src/core/ssh/remoteHosts';
import type { SshTarget } from '../../src/core/ssh/sshTarget';
import { parseProbeOutput, PROBE_SCRIPT } from '../../src/core/hosts/remoteProbe';

// The host probe over the real test sshd, as the dsd-gpu user: the nvidia-smi field corpus replayed by the test
// hosts' fake nvidia-smi (DSD_NVSMI_REPLAY), the HF cache as huggingface_hub resolves it on that host.
const INFRA = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT ?? 22422);
const FIELD = path.resolve(__dirname, '../../../test/field/nvidia-smi');
const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: () => Promise.resolve(false), prompts: { passphrase: () => Promise.resolve(undefined) } });
const target: SshTarget = { id: 'host-probe', host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
// A copy the SSH user can read: this checkout's fake nvidia-smi and corpus (the installed one may be older).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-probe-'));
fs.chmodSync(dir, 0o755);
fs.mkdirSync(path.join(dir, 'bin'));
fs.copyFileSync(path.resolve(__dirname, '../../../test/infra/fake-nvidia-smi.sh'), path.join(dir, 'bin/nvidia-smi'));
fs.chmodSync(path.join(dir, 'bin/nvidia-smi'), 0o755);
fs.cpSync(FIELD, path.join(dir, 'field'), { recursive: true });
after(() => {
  remote.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
const PATH_WITH_FAKE = `${dir}/bin:/usr/local/bin:/usr/bin:/bin`;
const probe = async (env: Record<string, string>): Promise<ReturnType<typeof parseProbeOutput>> => {
  const r = await remote.pool.exec(target, ['bash', '-c', PROBE_SCRIPT], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return parseProbeOutput(r.stdout);
};

test('the fake 8-GPU node: every GPU listed with its PCI bus id and UUID, no warning', async () => {
  const p = await probe({ PATH: PATH_WITH_FAKE, DSD_GPU_MODEL: 'H200' });
  assert.equal(p.gpuState, 'ok');
  assert.equal(p.gpus.length, 8);
  assert.equal(p.gpus[0].name, 'NVIDIA H200');
  assert.equal(p.gpus[0].memoryUsedMiB, 40412);
  assert.equal(p.gpus[7].pciBusId, '00000000:88:00.0');
  assert.deepEqual(p.gpuWarnings, []);
  assert.equal(p.gpuError, undefined);
});

for (const c of fs.readdirSync(FIELD).sort()) {
  test(`nvidia-smi field case ${c}, replayed on the host and read through the probe script`, async () => {
    const e = JSON.parse(fs.readFileSync(path.join(FIELD, c, 'expected.json'), 'utf8')) as { state: string; gpuCount: number; warnings: string[]; errorIncludes?: string; mig?: Record<string, number> };
    // "no nvidia-smi at all" is a PATH without one, not a replay.
    const noTool = e.state === 'no-tooling';
    const p = await probe(noTool ? { PATH: '/usr/local/bin:/usr/bin:/bin' } : { PATH: PATH_WITH_FAKE, DSD_NVSMI_REPLAY: path.join(dir, 'field', c) });
    assert.equal(p.gpuState, e.state, p.gpuError);
    assert.equal(p.gpus.length, e.gpuCount);
    if (!noTool) assert.deepEqual(p.gpuWarnings, e.warnings);
    if (e.errorIncludes) assert.ok(p.gpuError?.includes(e.errorIncludes), p.gpuError);
    else assert.equal(p.gpuError, undefined);
    for (const [i, n] of Object.entries(e.mig ?? {})) assert.equal(p.gpus.find((g) => g.index === Number(i))?.mig?.length ?? 0, n);
  });
}

test('HF cache: host exports HF_HUB_CACHE=/dev/shm/hub → that path and the free space of /dev/shm; nothing created', async () => {
  const existed = fs.existsSync('/dev/shm/hub');
  const p = await probe({ HF_HUB_CACHE: '/dev/shm/hub' });
  assert.equal(p.hfCachePath, '/dev/shm/hub');
  assert.equal(p.hfCacheExists, existed);
  const st = fs.statfsSync('/dev/shm');
  const free = Math.round((Number(st.bavail) * Number(st.bsize)) / 1024 ** 3 * 10) / 10;
  assert.ok(Math.abs((p.hfCacheFreeGiB ?? -1) - free) <= 0.2, `${p.hfCacheFreeGiB} GiB vs /dev/shm ${free} GiB`);
  assert.equal(fs.existsSync('/dev/shm/hub'), existed, 'the probe created no folder');
});

test('HF cache: HF_HOME set on the host → HF_HOME/hub; nothing set → ~/.cache/huggingface/hub of that user', async () => {
  const h = await probe({ HF_HOME: '/home/dsd-gpu/hf-home-probe-test' });
  assert.equal(h.hfCachePath, '/home/dsd-gpu/hf-home-probe-test/hub');
  assert.equal(h.hfCacheExists, false);
  assert.ok(!fs.existsSync('/home/dsd-gpu/hf-home-probe-test'), 'the probe created no folder');
  assert.ok((h.hfCacheFreeGiB ?? 0) > 0);
  const d = await probe({});
  assert.equal(d.hfCachePath, '/home/dsd-gpu/.cache/huggingface/hub');
});
