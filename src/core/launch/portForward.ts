import type { CommandRunner } from './deployment';

/** A running `kubectl port-forward`: the local port it listens on (127.0.0.1 of the host running kubectl). */
export interface PortForward {
  readonly port: number;
  /** Stops kubectl (its process group, through the runner's abort). */
  close(): void;
}

/** kubectl's own line when the listener is up (k8s.io/client-go/tools/portforward: "Forwarding from %s -> %d"). */
const FORWARDING = /Forwarding from 127\.0\.0\.1:(\d+) -> \d+/;

/**
 * Starts the plan's port-forward command on the host (it waits for rank 0 to be Ready first) and resolves once kubectl
 * says it listens. Rejects with kubectl's last words when it exits first, or after `timeoutMs`. The command keeps
 * running until close(); a forward that dies later (pod replaced) is the caller's to re-open (attachServer).
 */
export function openPortForward(runner: CommandRunner, argv: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<PortForward> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise<PortForward>((resolve, reject) => {
    let out = '';
    let done = false;
    const timer = setTimeout(() => fail(new Error(`kubectl port-forward did not start within ${Math.round(timeoutMs / 1000)} s (rank 0 not Ready?)`)), timeoutMs);
    const fail = (e: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ac.abort();
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onText = (t: string): void => {
      if (done) return;
      // Only the first lines matter; keep at most 4 KiB of them.
      out = (out + t).slice(-4096);
      const m = FORWARDING.exec(out);
      if (!m) return;
      done = true;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), close: () => { ac.abort(); signal?.removeEventListener('abort', onAbort); } });
    };
    runner.exec(argv, { onStdout: onText, onStderr: onText, timeoutMs: 0, signal: ac.signal }).then(
      (r) => fail(new Error(`kubectl port-forward ended (exit ${r.code ?? r.signal ?? '?'}): ${(r.stderr || r.stdout || out).trim().split('\n').slice(-3).join(' | ')}`)),
      (e: Error) => fail(e),
    );
  });
}
