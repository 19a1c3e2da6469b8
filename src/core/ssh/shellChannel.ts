import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';

/** What one command run through a ShellChannel produced. */
export interface ShellResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that outlived its limit and was stopped (the shell stays usable when the stop worked). */
export class ShellTimeout extends Error {}

/**
 * One long-lived `bash -l -s` session per host that runs short commands one after another, so each costs one round
 * trip instead of a channel open plus a login shell start (the channel-per-command path costs 13 ms on localhost,
 * OpenSSH ControlMaster 10 ms; this about 2–4 ms).
 *
 * The login decision of DESIGN.md ("Remote commands") holds: the session is `bash -l -s`, the only command line the
 * user's login shell parses; each command is the same framed script (buildRemoteScript) run in a background subshell,
 * so `cd`, `export` and traps never leak into the next command and the command's stdin is never the session's.
 * Output is framed with random markers: the script's own start marker, then an end marker carrying the exit code,
 * written on its own line after a newline (one "\n" before the end marker is the frame's, not the command's).
 * Anything unexpected (the channel closes, a frame never ends) marks the shell dead; callers fall back to a channel
 * per command.
 */
export class ShellChannel {
  private stdoutBuf = '';
  private stderrBuf = '';
  private current: { readonly tag: string; readonly onChunk: () => void } | undefined;
  private dead = false;
  private sessionPid = 0;
  /** Bytes kept per command before the frame is declared broken: bounded memory whatever the host prints. */
  static readonly MAX_OUTPUT = 16 * 1024 * 1024;

  private constructor(private readonly ch: ClientChannel) {
    ch.setEncoding('utf8');
    ch.stderr.setEncoding('utf8');
    ch.on('data', (d: string) => this.onData('out', d));
    ch.stderr.on('data', (d: string) => this.onData('err', d));
    ch.on('close', () => this.kill());
    ch.on('error', () => this.kill());
  }

  /** Opens the session and waits until bash answers (login-file noise before the answer is dropped). */
  static open(client: Client, command: string, timeoutMs = 15_000): Promise<ShellChannel> {
    return new Promise<ShellChannel>((resolve, reject) => {
      client.exec(command, (err, ch) => {
        if (err) return reject(err);
        const sh = new ShellChannel(ch);
        const tag = randomBytes(9).toString('hex');
        const timer = setTimeout(() => {
          sh.close();
          reject(new Error('the remote shell did not answer'));
        }, timeoutMs);
        sh.current = {
          tag,
          onChunk: () => {
            const m = new RegExp(`__DSD_HELLO_${tag}__ (\\d+)\\n`).exec(sh.stdoutBuf);
            if (m) {
              clearTimeout(timer);
              sh.sessionPid = Number(m[1]);
              sh.stdoutBuf = sh.stdoutBuf.slice(m.index + m[0].length);
              sh.stderrBuf = '';
              sh.current = undefined;
              resolve(sh);
            } else if (sh.dead) {
              clearTimeout(timer);
              reject(new Error('the remote shell closed before answering'));
            }
          },
        };
        ch.write(`printf '%s %d\\n' __DSD_HELLO_${tag}__ $$\n`);
      });
    });
  }

  /** False once the session died or a frame broke; a busy shell is alive but takes no second command. */
  get alive(): boolean {
    return !this.dead;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /**
   * Runs one framed script (from buildRemoteScript; `start` is its start marker). Resolves with the exit code and
   * the command's own output. On timeout the command's subshell gets SIGTERM through `stop(sessionPid)` (a separate
   * channel), whose trap stops the command's process group; the promise then rejects with ShellTimeout.
   */
  run(script: string, start: string, timeoutMs: number, stop: (sessionPid: number) => Promise<void>): Promise<ShellResult> {
    if (this.dead || this.current) return Promise.reject(new Error('shell not available'));
    const tag = randomBytes(9).toString('hex');
    const end = `__DSD_END_${tag}__`;
    return new Promise<ShellResult>((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (r: ShellResult | Error): void => {
        if (timer) clearTimeout(timer);
        this.current = undefined;
        if (r instanceof Error) reject(r);
        else if (timedOut) reject(new ShellTimeout('timed out'));
        else resolve(r);
      };
      const endOut = new RegExp(`\\n${end} (\\d+)\\n`);
      const endErr = `\n${end}\n`;
      this.current = {
        tag,
        onChunk: () => {
          if (this.dead) return finish(new Error('the remote shell closed'));
          if (this.stdoutBuf.length + this.stderrBuf.length > ShellChannel.MAX_OUTPUT) {
            this.close();
            return finish(new Error('output too large for the shell channel'));
          }
          const m = endOut.exec(this.stdoutBuf);
          const e = this.stderrBuf.indexOf(endErr);
          if (!m || e < 0) return;
          const stdout = afterStart(this.stdoutBuf.slice(0, m.index), start);
          const stderr = afterStart(this.stderrBuf.slice(0, e), start);
          this.stdoutBuf = this.stdoutBuf.slice(m.index + m[0].length);
          this.stderrBuf = this.stderrBuf.slice(e + endErr.length);
          if (stdout === undefined || stderr === undefined) {
            this.close();
            return finish(new Error('the command\'s output frame was broken'));
          }
          finish({ code: Number(m[1]), stdout, stderr });
        },
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          // The stop ends the command; its end marker then settles the promise. If even that does not come, the
          // session is beyond use.
          stop(this.sessionPid).catch(() => undefined);
          setTimeout(() => {
            if (this.current?.tag === tag) {
              this.close();
              finish(new ShellTimeout('timed out'));
            }
          }, 5000).unref();
        }, timeoutMs);
      }
      // Background subshell: bash gives it /dev/null as stdin (no job control), so it never reads the session's
      // input; `wait` returns its exit status (the script exits with the command's).
      this.ch.write(`( ${script.trimEnd()}\n) &\nwait $!; printf '\\n%s %d\\n' ${end} $?; printf '\\n%s\\n' ${end} >&2\n`);
    });
  }

  private onData(which: 'out' | 'err', d: string): void {
    if (which === 'out') this.stdoutBuf += d;
    else this.stderrBuf += d;
    if (this.current) this.current.onChunk();
    else if (this.stdoutBuf.length + this.stderrBuf.length > 65_536) {
      // Nothing runs, yet the host keeps talking (a background job of an earlier command): drop it.
      this.stdoutBuf = '';
      this.stderrBuf = '';
    }
  }

  private kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.current?.onChunk();
  }

  close(): void {
    this.kill();
    try {
      this.ch.close();
    } catch {
      /* already closed */
    }
  }
}

/** The text after the frame's start marker line; undefined when the marker is missing (a broken frame). */
function afterStart(text: string, start: string): string | undefined {
  const i = text.indexOf(`${start}\n`);
  return i < 0 ? undefined : text.slice(i + start.length + 1);
}

/** Stops the command a session runs: its background subshell gets SIGTERM (its trap stops the command's group). */
export const SHELL_STOP_ARGV = (sessionPid: number): string[] => ['sh', '-c', 'pkill -TERM -P "$1" 2>/dev/null || kill -TERM $(ps -o pid= --ppid "$1") 2>/dev/null; true', 'sh', String(sessionPid)];

/**
 * The shell sessions of one pool, one per host (keyed like the pool's connections). A session is opened on first
 * use, reused while idle, skipped while busy (a concurrent command takes its own channel) and reopened after it died.
 */
export class ShellSessions {
  private readonly shells = new Map<string, Promise<ShellChannel | undefined>>();
  /** Hosts where opening a session failed: they keep using a channel per command. */
  private readonly refused = new Set<string>();

  constructor(private readonly command: string) {}

  /** An idle, live session for the host, opening one if needed; undefined when none can be had now. */
  async idle(key: string, client: () => Promise<Client>): Promise<ShellChannel | undefined> {
    if (this.refused.has(key)) return undefined;
    let p = this.shells.get(key);
    if (p) {
      const sh = await p.catch(() => undefined);
      if (sh?.alive) return sh.busy ? undefined : sh;
      if (this.shells.get(key) === p) this.shells.delete(key);
    }
    p = (async (): Promise<ShellChannel | undefined> => {
      const c = await client(); // connection errors (host keys, auth) are the caller's, exactly as without a shell
      try {
        return await ShellChannel.open(c, this.command);
      } catch {
        this.refused.add(key); // e.g. a server that allows one session per connection
        return undefined;
      }
    })();
    this.shells.set(key, p);
    const sh = await p.catch((e: unknown) => {
      if (this.shells.get(key) === p) this.shells.delete(key);
      throw e;
    });
    if (!sh && this.shells.get(key) === p) this.shells.delete(key);
    return sh && !sh.busy ? sh : undefined;
  }

  close(key: string): void {
    const p = this.shells.get(key);
    this.shells.delete(key);
    this.refused.delete(key);
    void p?.then((sh) => sh?.close());
  }

  closeAll(): void {
    for (const k of [...this.shells.keys()]) this.close(k);
  }
}
