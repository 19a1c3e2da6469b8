import { execFile } from 'node:child_process';
import * as os from 'node:os';
import type { HostProbe } from './hostModel';
import { NVIDIA_SMI_ARGS, parseNvidiaSmiCsv } from './nvidiaSmi';

interface ExecResult { stdout: string; stderr: string; code: number | string | null }

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

/** Probes "This machine" without SSH, so a workstation with GPUs (or the no-GPU demo) works without sshd. */
export async function probeLocalHost(timeoutMs = 5000): Promise<HostProbe> {
  const osLine = `${os.type()} ${os.release()} (${os.arch()})`;
  const [smi, docker] = await Promise.all([run('nvidia-smi', NVIDIA_SMI_ARGS, timeoutMs), run('docker', ['--version'], timeoutMs)]);
  let gpus: HostProbe['gpus'] = [];
  let gpuError: string | undefined;
  if (smi.code === 'ENOENT') gpuError = 'nvidia-smi not found: no NVIDIA driver on this machine';
  else if (smi.code !== 0) gpuError = `nvidia-smi failed: ${(smi.stderr || smi.stdout).trim().split('\n')[0] || String(smi.code)}`;
  else {
    try {
      gpus = parseNvidiaSmiCsv(smi.stdout);
    } catch (e) {
      gpuError = (e as Error).message;
    }
  }
  return {
    os: osLine,
    gpus,
    gpuError,
    docker: docker.code === 0 ? docker.stdout.trim() : undefined,
    probedAt: Date.now(),
  };
}
