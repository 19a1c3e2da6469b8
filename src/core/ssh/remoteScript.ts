import { randomBytes } from 'node:crypto';
import { shJoinRemote, shQuote } from './shellQuote';

/**
 * Remote commands travel as a bash script on stdin to `bash -l -s`, so the only thing the user's login shell (bash,
 * zsh, fish…) ever parses is that fixed command line. Random markers frame the command's output on stdout and stderr,
 * so banners and rc-file noise printed before it are dropped.
 */
export const REMOTE_SHELL_COMMAND = 'bash -l -s';

export interface RemoteScriptOptions {
  /** Exported before the command; values never appear on a command line (use for non-secret settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory; `~` and `~/…` are expanded remotely. */
  readonly cwd?: string;
  /** Lines of bash run before the command (already quoted by the caller, e.g. from shJoin). */
  readonly prelude?: readonly string[];
  /** Sent to the command's stdin through a quoted here-document (never on a command line). */
  readonly stdin?: string;
}

export interface FramedScript {
  readonly script: string;
  readonly start: string;
}

const tildePath = (p: string): string => (p === '~' ? '"$HOME"' : p.startsWith('~/') ? `"$HOME"/${shQuote(p.slice(2))}` : shQuote(p));

export function buildRemoteScript(argv: readonly string[], opts: RemoteScriptOptions = {}): FramedScript {
  const tag = randomBytes(12).toString('hex');
  const start = `__DSD_START_${tag}__`;
  const lines: string[] = [];
  // The braces make bash read the whole script before running any of it, so a command that reads stdin cannot eat
  // the rest of the script.
  lines.push('{');
  lines.push(`printf '%s\\n' ${start}; printf '%s\\n' ${start} >&2`);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`);
    lines.push(`export ${k}=${shQuote(v)}`);
  }
  if (opts.cwd) lines.push(`cd ${tildePath(opts.cwd)} || exit 97`);
  for (const l of opts.prelude ?? []) lines.push(l);
  // The command runs as its own process group (setsid), and the script waits for it with a trap: sshd delivers a
  // channel signal only to the session's first process, and bash would defer a trap until a foreground command
  // ends, so this is what lets stop() end `tail -f` / `docker logs -f` and everything they started.
  const run = `$__dsd_setsid ${shJoinRemote(argv)}`;
  lines.push('__dsd_setsid=; command -v setsid >/dev/null 2>&1 && __dsd_setsid=setsid');
  if (opts.stdin !== undefined) {
    const eof = `DSD_EOF_${tag}`;
    lines.push(`${run} <<'${eof}' &`, opts.stdin.endsWith('\n') ? opts.stdin.slice(0, -1) : opts.stdin, eof);
  } else {
    lines.push(`${run} </dev/null &`);
  }
  lines.push('__dsd_pid=$!');
  lines.push(`trap 'kill -TERM -- -$__dsd_pid 2>/dev/null || kill -TERM $__dsd_pid 2>/dev/null' TERM HUP INT`);
  lines.push('wait $__dsd_pid; __dsd_rc=$?');
  lines.push('while kill -0 $__dsd_pid 2>/dev/null; do wait $__dsd_pid; __dsd_rc=$?; done');
  lines.push('exit $__dsd_rc');
  lines.push('}');
  return { script: `${lines.join('\n')}\n`, start };
}

/**
 * Drops everything a stream carries before its start marker (banners, rc-file noise) and passes the command's bytes
 * through as they arrive. The exit code comes from the channel's exit status: the script exits with the command's
 * code, so no end marker has to be held back from a live stream.
 */
export class FramedOutput {
  private buf = '';
  private started = false;

  constructor(private readonly start: string, private readonly emit: (text: string) => void) {}

  push(text: string): void {
    if (this.started) {
      this.emit(text);
      return;
    }
    this.buf += text;
    const i = this.buf.indexOf(`${this.start}\n`);
    if (i < 0) {
      // Keep only a tail that could still become the marker.
      if (this.buf.length > this.start.length * 4) this.buf = this.buf.slice(-this.start.length - 1);
      return;
    }
    this.started = true;
    const rest = this.buf.slice(i + this.start.length + 1);
    this.buf = '';
    if (rest) this.emit(rest);
  }

  get sawStart(): boolean {
    return this.started;
  }
}
