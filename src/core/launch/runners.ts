import { spawn } from 'node:child_process';
import type { SshPool } from '../ssh/sshPool';
import type { SshTarget } from '../ssh/sshTarget';
import { buildRemoteScript, FramedOutput } from '../ssh/remoteScript';
import type { CommandRunner } from './deployment';

/** Commands on an SSH host, over its pooled connection. */
export function sshRunner(pool: SshPool, target: SshTarget): CommandRunner {
  return { exec: (argv, o) => pool.exec(target, argv, o) };
}

/**
 * Commands on this machine with exactly the remote semantics (the same framed bash script: quoting, ~ expansion,
 * stdin through a here-document, stop = SIGTERM to the command's process group), so "This machine" is not a special case.
 */
export function localRunner(): CommandRunner {
  return {
    exec: (argv, o) => new Promise((resolve, reject) => {
      const framed = buildRemoteScript(argv, { stdin: o.stdin });
      const child = spawn('bash', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const out = new FramedOutput(framed.start, (s) => { stdout += s; o.onStdout?.(s); });
      const err = new FramedOutput(framed.start, (s) => { stderr += s; o.onStderr?.(s); });
      child.stdout.setEncoding('utf8').on('data', (d: string) => out.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => err.push(d));
      const stop = (): void => {
        child.kill('SIGTERM');
      };
      const limit = o.timeoutMs ?? 60_000;
      let timedOut = false;
      const timer = limit > 0 ? setTimeout(() => { timedOut = true; stop(); }, limit) : undefined;
      o.signal?.addEventListener('abort', stop, { once: true });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', stop);
        if (timedOut) reject(new Error(`\`${argv.join(' ')}\` did not finish within ${Math.round(limit / 1000)} s and was stopped.`));
        else resolve({ code, signal: signal ?? undefined, stdout, stderr });
      });
      child.stdin.end(framed.script);
    }),
  };
}
