import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostProbe } from './hostModel';
import { NVIDIA_SMI_ARGS, NVIDIA_SMI_LIST_ARGS, readNvidiaSmi, type SmiRun } from './nvidiaSmi';

interface ExecResult extends SmiRun { readonly spawnError?: string }

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr, exitCode: 0 });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      // ENOENT: not installed; the shell's "command not found" code keeps one meaning for local and remote probes.
      if (e.code === 'ENOENT') return resolve({ stdout: '', stderr: '', exitCode: 127, spawnError: 'ENOENT' });
      resolve({ stdout, stderr, exitCode: typeof e.code === 'number' ? e.code : null });
    });
  });
}

/**
 * The Hugging Face hub cache huggingface_hub uses (constants.py: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else
 * HF_HOME/hub with HF_HOME defaulting to ${XDG_CACHE_HOME:-~/.cache}/huggingface) and the free space (GiB) of the
 * nearest existing folder on that path. Creates nothing.
 */
export function localHfCache(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): { path: string; exists: boolean; freeGiB?: number } {
  const expand = (p: string): string => (p === '~' || p.startsWith('~/') ? home + p.slice(1) : p);
  const hfHome = expand(env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'huggingface'));
  const hub = expand(env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || path.join(hfHome, 'hub'));
  let p = path.resolve(hub);
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  let freeGiB: number | undefined;
  try {
    const s = fs.statfsSync(p);
    freeGiB = Math.round((Number(s.bavail) * Number(s.bsize)) / 1024 ** 3 * 10) / 10;
  } catch {
    freeGiB = undefined;
  }
  return { path: hub, exists: fs.existsSync(hub), freeGiB };
}

/** Probes "This machine" without SSH, so a workstation with GPUs (or the no-GPU demo) works without sshd. */
export async function probeLocalHost(timeoutMs = 5000): Promise<HostProbe> {
  const osLine = `${os.type()} ${os.release()} (${os.arch()})`;
  const [smi, docker] = await Promise.all([run('nvidia-smi', NVIDIA_SMI_ARGS, timeoutMs), run('docker', ['--version'], timeoutMs)]);
  const list = smi.spawnError ? undefined : await run('nvidia-smi', NVIDIA_SMI_LIST_ARGS, timeoutMs);
  const report = readNvidiaSmi(smi, list);
  const hf = localHfCache();
  return {
    os: osLine,
    gpus: report.gpus,
    gpuError: report.error,
    gpuState: report.state,
    gpuWarnings: report.warnings,
    docker: docker.exitCode === 0 ? docker.stdout.trim() : undefined,
    hfCachePath: hf.path,
    hfCacheExists: hf.exists,
    hfCacheFreeGiB: hf.freeGiB,
    probedAt: Date.now(),
  };
}
