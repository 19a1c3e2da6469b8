import * as fs from 'node:fs';
import { httpErrorText, isCertificateFailure } from '../openai/httpRequest';

/**
 * This process's soft limit on open file descriptors (`ulimit -n`), from /proc/self/limits ("Max open files"; Linux,
 * proc(5)); undefined where that file does not exist. Node has no getrlimit.
 */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (!m || m[1] === 'unlimited') return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Descriptors kept free for everything else the process opens (result files, DNS, the event loop, stdio). */
export const FD_RESERVE = 64;

/**
 * How many connections a benchmark may open at once without running out of descriptors: the wanted number, or the fd
 * limit less `FD_RESERVE` when that is lower (then `cappedBy` is the limit, for the message).
 */
export function connectionCap(wanted: number, limit: number | undefined = openFileLimit()): { connections: number; cappedBy?: number } {
  if (limit === undefined || wanted <= limit - FD_RESERVE) return { connections: wanted };
  return { connections: Math.max(1, limit - FD_RESERVE), cappedBy: limit };
}

/**
 * A socket error as a request's error text; EMFILE/ENFILE explained with the descriptor limit and what to do; TLS
 * failures (certificate, EPROTO) in httpErrorText's words, as the probe would say them.
 */
export function connectErrorMessage(e: Error & { code?: string }): string {
  if (e.code === 'EMFILE' || e.code === 'ENFILE') {
    const lim = openFileLimit();
    return `${e.code}: too many open files${lim !== undefined ? ` (this process may open ${lim}; see ulimit -n)` : ''}: lower --max-concurrency or raise the limit`;
  }
  if (e.code === 'EPROTO' || isCertificateFailure(e.code)) return httpErrorText(e);
  return e.code ?? e.message;
}
