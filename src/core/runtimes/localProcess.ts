import { spawn, type ChildProcess } from 'node:child_process';
import { classifyLogLine, LineSplitter, type LogEvent } from '../engines/logWatch';

export interface LocalProcessOptions {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ProcessExit { code: number | null; signal: NodeJS.Signals | null }

/**
 * A server started on this machine (the "plain process" runtime without SSH). It runs in its own process group so
 * stop() also ends any children the engine spawned, and nothing is left behind.
 */
export class LocalServerProcess {
  private readonly child: ChildProcess;
  private readonly lineListeners = new Set<(line: string, event?: LogEvent) => void>();
  readonly exited: Promise<ProcessExit>;

  constructor(opts: LocalProcessOptions) {
    const [cmd, ...args] = opts.argv;
    this.child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      const splitter = new LineSplitter();
      stream?.setEncoding('utf8');
      stream?.on('data', (d: string) => splitter.push(d).forEach((l) => this.emitLine(l)));
      stream?.on('end', () => splitter.flush().forEach((l) => this.emitLine(l)));
    }
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
      this.child.on('error', (err) => {
        this.emitLine(`failed to start ${cmd}: ${err.message}`);
        resolve({ code: 127, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  onLine(listener: (line: string, event?: LogEvent) => void): { dispose(): void } {
    this.lineListeners.add(listener);
    return { dispose: () => this.lineListeners.delete(listener) };
  }

  /** SIGTERM to the group, then SIGKILL if it has not exited within graceMs. */
  async stop(graceMs = 5000): Promise<ProcessExit> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
      const r = await this.exited;
      clearTimeout(timer);
      return r;
    }
    return this.exited;
  }

  private emitLine(line: string): void {
    const ev = classifyLogLine(line);
    for (const l of this.lineListeners) l(line, ev);
  }
}
