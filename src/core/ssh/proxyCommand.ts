import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** How much of a ProxyCommand's stderr is kept for the error message (bytes). */
const STDERR_TAIL = 4000;

/**
 * Runs a ProxyCommand (tokens already expanded) as OpenSSH does (sshconnect.c ssh_proxy_connect): `exec COMMAND`
 * through `$SHELL -c` (/bin/sh when SHELL is unset), its stdin/stdout being the SSH stream. The command is the
 * user's own ssh_config text, so running it through a shell is what the user asked for; names that came from
 * elsewhere were checked by resolveTarget before they were expanded into it.
 * Returns a Duplex for ssh2's `sock`. It errors (message with the command's exit status and the last
 * STDERR_TAIL bytes of its stderr) when the command cannot start or exits non-zero before we close it; destroying
 * it sends SIGHUP to the command, as ssh does when it exits.
 */
export function openProxyCommand(command: string, log?: (line: string) => void): Duplex {
  const shell = process.env.SHELL || '/bin/sh';
  const child = spawn(shell, ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let closedByUs = false;
  const stream = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      // A command that stopped reading is exiting: its exit status and stderr ('close' below) say why, which is what
      // the user needs — not the EPIPE our write gets first. If it does not exit within 2 s, the write error stands.
      const afterExit = (e: Error): void => {
        if (child.exitCode !== null || child.signalCode !== null) return cb();
        const t = setTimeout(() => cb(e), 2000);
        t.unref();
        child.once('close', () => {
          clearTimeout(t);
          cb();
        });
      };
      if (!child.stdin.writable) return afterExit(new Error(`ProxyCommand "${command}" is no longer reading`));
      child.stdin.write(chunk, (e) => (e ? afterExit(e) : cb()));
    },
    final(cb) {
      closedByUs = true;
      child.stdin.end(() => cb());
    },
    destroy(err, cb) {
      closedByUs = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGHUP');
      cb(err);
    },
  });
  child.stdout.on('data', (d: Buffer) => {
    if (!stream.push(d)) child.stdout.pause();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_TAIL);
  });
  child.stdin.on('error', () => undefined); // EPIPE when the command exits first; 'close' reports why
  child.on('error', (e) => stream.destroy(new Error(`ProxyCommand could not start (${shell} -c "exec ${command}"): ${e.message}`)));
  // 'close' comes after stdout has ended and the process has exited, so the exit status is known before EOF.
  child.on('close', (code, signal) => {
    if (stream.destroyed) return;
    if (code === 0 || closedByUs) {
      stream.push(null);
      return;
    }
    const why = code !== null ? `exited with status ${code}` : `was killed by ${signal ?? 'a signal'}`;
    log?.(`ProxyCommand ${why}: ${stderr.trim()}`);
    stream.destroy(new Error(`ProxyCommand "${command}" ${why}${stderr.trim() ? `: ${stderr.trim()}` : ' (nothing on stderr)'}`));
  });
  return stream;
}
