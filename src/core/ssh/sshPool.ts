import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import { Client, utils, type AnyAuthMethod, type AuthenticationType, type ClientChannel, type ParsedKey } from 'ssh2';
import type { HostTrust } from './hostTrust';
import { openProxyCommand } from './proxyCommand';
import { buildRemoteScript, FramedOutput, REMOTE_SHELL_COMMAND, type FramedScript, type RemoteScriptOptions } from './remoteScript';
import { SHELL_STOP_ARGV, ShellSessions, ShellTimeout } from './shellChannel';
import { SshError } from './sshErrors';
import { targetLabel, type SshTarget } from './sshTarget';

/** Questions only the user can answer. Each may resolve undefined (cancelled); none may hang forever. */
export interface SshPrompts {
  passphrase(keyPath: string, target: string): Promise<string | undefined>;
  password?(target: string): Promise<string | undefined>;
  keyboardInteractive?(target: string, instructions: string, prompts: ReadonlyArray<{ prompt: string; echo: boolean }>): Promise<string[] | undefined>;
}

export interface SshPoolOptions {
  readonly trust: HostTrust;
  readonly prompts: SshPrompts;
  /** Connect + handshake + auth limit (prompts excluded from nothing: a prompt left open still times out). */
  readonly readyTimeoutMs?: number;
  readonly keepaliveMs?: number;
  /** Default limit for exec(); streams pass 0 (no limit) and stop through their AbortSignal. */
  readonly execTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface ExecOptions extends RemoteScriptOptions {
  readonly onStdout?: (text: string) => void;
  readonly onStderr?: (text: string) => void;
  /** 0 = no limit. */
  readonly timeoutMs?: number;
  /** Aborting stops the remote command with SIGTERM (sshd signals its whole process group). */
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
}

interface Live {
  readonly client: Client;
  readonly hops: Client[];
  closed: boolean;
}

/**
 * One ssh2 connection per host, many channels over it: every command, probe, log stream and tunnel for a host share
 * one handshake. Keepalives detect dead links; the next use of a dropped host reconnects, with backoff after
 * repeated failures; every operation has a timeout.
 */
export class SshPool {
  private readonly live = new Map<string, Promise<Live>>();
  private readonly failures = new Map<string, { count: number; at: number }>();
  private readonly passphrases = new Map<string, string>();
  /** Handshakes made so far (all hops); tests and the bench read it to prove pooling. */
  handshakes = 0;
  private readonly shells = new ShellSessions(REMOTE_SHELL_COMMAND);

  constructor(private readonly opts: SshPoolOptions) {}

  /** The pooled client for a host, connecting (or reconnecting) if needed. */
  async client(t: SshTarget): Promise<Client> {
    let p = this.live.get(t.id);
    if (p) {
      const l = await p.catch(() => undefined);
      if (l && !l.closed) return l.client;
      if (this.live.get(t.id) === p) this.live.delete(t.id);
    }
    p = this.connectWithBackoff(t);
    this.live.set(t.id, p);
    p.catch(() => {
      if (this.live.get(t.id) === p) this.live.delete(t.id);
    });
    return (await p).client;
  }

  isConnected(t: SshTarget): boolean {
    return this.live.has(t.id);
  }

  private async connectWithBackoff(t: SshTarget): Promise<Live> {
    const f = this.failures.get(t.id);
    if (f) {
      const wait = Math.min(15_000, 500 * 2 ** (f.count - 1)) - (Date.now() - f.at);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    try {
      const l = await this.connectChain(t);
      this.failures.delete(t.id);
      return l;
    } catch (e) {
      // Wrong keys or refused host keys do not get better by retrying; do not make the user wait for them.
      const permanent = e instanceof SshError && (e.kind.startsWith('host-key') || e.kind === 'auth');
      if (!permanent) this.failures.set(t.id, { count: (f?.count ?? 0) + 1, at: Date.now() });
      throw e;
    }
  }

  private async connectChain(t: SshTarget): Promise<Live> {
    const hops: Client[] = [];
    try {
      // The outermost target's ProxyCommand (resolveTarget puts it there) carries the whole chain, as in OpenSSH.
      const outer = t.jump?.[0] ?? t;
      let sock: Duplex | undefined = outer.proxyCommand ? openProxyCommand(outer.proxyCommand, this.opts.log) : undefined;
      for (const hop of t.jump ?? []) {
        const c = await this.connectOne(hop, sock);
        hops.push(c);
        sock = await forwardOut(c, hop, hops.length < (t.jump?.length ?? 0) ? t.jump![hops.length] : t);
      }
      const client = await this.connectOne(t, sock);
      const l: Live = { client, hops, closed: false };
      const onClose = (): void => {
        if (l.closed) return;
        l.closed = true;
        this.opts.log?.(`ssh ${targetLabel(t)}: connection closed`);
        for (const h of hops) h.end();
      };
      client.on('close', onClose);
      client.on('end', onClose);
      client.on('error', (e) => {
        this.opts.log?.(`ssh ${targetLabel(t)}: ${e.message}`);
        onClose();
      });
      for (const h of hops) h.on('close', () => client.end());
      return l;
    } catch (e) {
      for (const h of hops) h.end();
      throw e;
    }
  }

  private connectOne(t: SshTarget, sock: Duplex | undefined): Promise<Client> {
    const label = targetLabel(t);
    return new Promise<Client>((resolve, reject) => {
      const c = new Client();
      let verifyError: SshError | undefined;
      const tried: string[] = [];
      let settled = false;
      const methods = this.authMethods(t, tried);
      const done = (e?: Error): void => {
        if (settled) return;
        settled = true;
        if (e) {
          c.end();
          reject(e);
        } else resolve(c);
      };
      c.once('ready', () => {
        // ssh2 leaves Nagle on: every command would then wait ~40 ms for a delayed ACK (48 ms vs 4 ms per exec here).
        c.setNoDelay(true);
        done();
      });
      c.on('error', (e: Error & { level?: string; code?: string }) => done(verifyError ?? mapConnectError(e, t, tried)));
      c.once('close', () => done(verifyError ?? new SshError('closed', `The connection to ${label} closed during the handshake.`, label)));
      this.handshakes++;
      c.connect({
        host: t.host,
        port: t.port,
        sock,
        username: t.user,
        readyTimeout: this.opts.readyTimeoutMs ?? 20_000,
        keepaliveInterval: this.opts.keepaliveMs ?? 15_000,
        keepaliveCountMax: 3,
        // Key types already recorded for this host first (OpenSSH order_hostkeyalgs), so a host with several keys
        // presents the one we know; every hop of a ProxyJump chain comes through here with its own name.
        algorithms: { serverHostKey: this.opts.trust.hostKeyAlgorithms(t) },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          this.opts.trust.verify(t, key, label).then(
            () => verify(true),
            (e: unknown) => {
              verifyError = e instanceof SshError ? e : new SshError('host-key-unknown', String(e), label);
              verify(false);
            },
          );
        },
        authHandler: (_left: AuthenticationType[], _partial: boolean, next: (m: AnyAuthMethod | false) => void) => {
          methods.next().then((r) => next(r.done ? false : r.value), (e: unknown) => done(e instanceof Error ? e : new Error(String(e))));
        },
      } as Parameters<Client['connect']>[0]);
    });
  }

  /** Agent, then each identity file (asking for a passphrase once), then keyboard-interactive, then password. */
  private async *authMethods(t: SshTarget, tried: string[]): AsyncGenerator<AnyAuthMethod> {
    const label = targetLabel(t);
    const agent = t.agent === 'none' ? undefined : (t.agent ?? process.env.SSH_AUTH_SOCK);
    if (agent) {
      tried.push(`agent (${agent})`);
      yield { type: 'agent', username: t.user, agent };
    }
    for (const file of t.identityFiles) {
      const p = file.replace(/^~(?=$|\/)/, os.homedir());
      let data: Buffer;
      try {
        data = fs.readFileSync(p);
      } catch {
        continue; // OpenSSH silently skips default identities that do not exist
      }
      let key: ParsedKey | Error = utils.parseKey(data);
      if (key instanceof Error && /encrypted|passphrase/i.test(key.message)) {
        let pass = this.passphrases.get(p);
        if (pass === undefined) {
          pass = await this.opts.prompts.passphrase(p, label);
          if (pass === undefined) continue;
        }
        key = utils.parseKey(data, pass);
        if (key instanceof Error) throw new SshError('auth', `Wrong passphrase for ${p}.`, label);
        this.passphrases.set(p, pass);
      }
      if (key instanceof Error) {
        this.opts.log?.(`ssh ${label}: cannot use ${p}: ${key.message}`);
        continue;
      }
      tried.push(`publickey ${p}`);
      yield { type: 'publickey', username: t.user, key };
    }
    const prompts = this.opts.prompts;
    if (prompts.keyboardInteractive) {
      tried.push('keyboard-interactive');
      yield {
        type: 'keyboard-interactive',
        username: t.user,
        prompt: (_name, instructions, _lang, ps, finish) => {
          if (ps.length === 0) return finish([]);
          prompts.keyboardInteractive!(label, instructions, ps.map((x) => ({ prompt: x.prompt, echo: x.echo ?? false }))).then((a) => finish(a ?? []), () => finish([]));
        },
      };
    }
    if (prompts.password) {
      const pw = await prompts.password(label);
      if (pw !== undefined) {
        tried.push('password');
        yield { type: 'password', username: t.user, password: pw };
      }
    }
  }

  /**
   * Runs argv on the host (quoted into a bash script on stdin), streaming output as it arrives. Resolves with the
   * exit code and signal; rejects only when the command could not run or its limit passed.
   */
  async exec(t: SshTarget, argv: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
    const framed = buildRemoteScript(argv, o);
    const label = targetLabel(t);
    const limit = o.timeoutMs ?? this.opts.execTimeoutMs ?? 60_000;
    // Short, non-streaming commands go through the host's persistent shell (one round trip); anything that streams,
    // can be aborted, or carries a large stdin takes its own channel, as does every command while the shell is busy.
    if (!o.signal && !o.onStdout && !o.onStderr && framed.script.length < 65_536) {
      const sh = await this.shells.idle(t.id, () => this.client(t));
      if (sh && !sh.busy) { // re-checked here: a command started since idle() answered may hold it now
        try {
          return { signal: undefined, ...await sh.run(framed.script, framed.start, limit, (pid) => this.execChannel(t, SHELL_STOP_ARGV(pid), { timeoutMs: 10_000 }, buildRemoteScript(SHELL_STOP_ARGV(pid))).then(() => undefined)) };
        } catch (e) {
          if (e instanceof ShellTimeout) throw new SshError('timeout', `\`${argv.join(' ')}\` on ${label} did not finish within ${Math.round(limit / 1000)} s and was stopped.`, label);
          throw new SshError('closed', `The connection to ${label} closed while \`${argv.join(' ')}\` ran (${(e as Error).message}).`, label);
        }
      }
    }
    return this.execChannel(t, argv, o, framed);
  }

  /** One command on its own channel (`bash -l -s`, script on stdin): streams, signals, large stdin. */
  private async execChannel(t: SshTarget, argv: readonly string[], o: ExecOptions, framed: FramedScript): Promise<ExecResult> {
    const label = targetLabel(t);
    const open = async (): Promise<ClientChannel> => {
      const c = await this.client(t);
      return new Promise<ClientChannel>((resolve, reject) => {
        try {
          c.exec(REMOTE_SHELL_COMMAND, (err, ch) => (err ? reject(err) : resolve(ch)));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    };
    let ch: ClientChannel;
    try {
      ch = await open();
    } catch (e) {
      if (e instanceof SshError) throw e;
      // A connection that died without telling us (the far end was killed): drop it and try once on a fresh one.
      this.live.delete(t.id);
      ch = await open();
    }
    return new Promise<ExecResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const out = new FramedOutput(framed.start, (s) => {
        stdout += s;
        o.onStdout?.(s);
      });
      const err = new FramedOutput(framed.start, (s) => {
        stderr += s;
        o.onStderr?.(s);
      });
      let exitCode: number | null = null;
      let exitSignal: string | undefined;
      let timedOut = false;
      const limit = o.timeoutMs ?? this.opts.execTimeoutMs ?? 60_000;
      const stop = (): void => {
        try {
          ch.signal('TERM');
        } catch {
          /* channel already gone */
        }
        // If the far end ignores the signal, closing the channel still frees us (and SIGPIPEs the command).
        setTimeout(() => ch.close(), 2000).unref();
      };
      const timer = limit > 0 ? setTimeout(() => {
        timedOut = true;
        stop();
      }, limit) : undefined;
      const onAbort = (): void => stop();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.signal?.aborted) stop();
      ch.setEncoding('utf8');
      ch.stderr.setEncoding('utf8');
      ch.on('data', (d: string) => out.push(d));
      ch.stderr.on('data', (d: string) => err.push(d));
      ch.on('exit', (code: number | null, signal?: string) => {
        exitCode = code;
        exitSignal = signal ?? undefined;
      });
      ch.on('close', () => {
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        if (timedOut) {
          reject(new SshError('timeout', `\`${argv.join(' ')}\` on ${label} did not finish within ${Math.round(limit / 1000)} s and was stopped.`, label));
          return;
        }
        resolve({ code: exitCode, signal: exitSignal ? (exitSignal.startsWith('SIG') ? exitSignal : `SIG${exitSignal}`) : undefined, stdout, stderr });
      });
      // write, not end: ssh2 sends no channel requests (so no signal) after EOF, and bash needs no EOF to run the
      // braced script, which ends with an explicit exit.
      ch.write(framed.script);
    });
  }

  /** A TCP stream to host:port as seen from the SSH server (for tunnels), over the pooled connection. */
  async forwardOut(t: SshTarget, host: string, port: number): Promise<Duplex> {
    return forwardOut(await this.client(t), t, { host, port });
  }

  /** Closes one host's connection (e.g. before removing the host). */
  async disconnect(t: SshTarget): Promise<void> {
    const p = this.live.get(t.id);
    this.live.delete(t.id);
    this.shells.close(t.id);
    const l = await p?.catch(() => undefined);
    l?.client.end();
  }

  dispose(): void {
    this.shells.closeAll();
    for (const p of this.live.values()) p.then((l) => l.client.end(), () => undefined);
    this.live.clear();
  }
}

function forwardOut(c: Client, via: SshTarget, to: { host: string; port: number }): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    c.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
      if (err) reject(new SshError('unreachable', `${targetLabel(via)} could not open a connection to ${to.host}:${to.port}: ${err.message}`, targetLabel(via)));
      else resolve(stream);
    });
  });
}

function mapConnectError(e: Error & { level?: string; code?: string }, t: SshTarget, tried: string[]): SshError {
  const label = targetLabel(t);
  const where = `${t.host}:${t.port}`;
  if (e.level === 'client-authentication') {
    return new SshError('auth', `Authentication failed for ${label} (tried: ${tried.length ? tried.join(', ') : 'no usable key, agent or password'}). Check the user name and IdentityFile, and that the public key is in ~${t.user}/.ssh/authorized_keys on the host.`, label);
  }
  if (e.code === 'ECONNREFUSED') return new SshError('unreachable', `Cannot connect to ${where}: connection refused (is sshd running there, on this port?).`, label);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new SshError('unreachable', `Cannot resolve host name ${t.host}.`, label);
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return new SshError('unreachable', `Cannot reach ${where}: no route to host.`, label);
  if (e.code === 'ETIMEDOUT' || e.level === 'client-timeout' || /timed out/i.test(e.message)) return new SshError('timeout', `Timed out connecting to ${where} (no SSH handshake answer). Check the address, port and firewall.`, label);
  return new SshError('closed', `SSH connection to ${where} failed: ${e.message}`, label);
}
