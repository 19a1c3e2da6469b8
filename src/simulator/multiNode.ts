import * as net from 'node:net';
import * as os from 'node:os';

/**
 * Multi-node start-up as SGLang does it (--dist-init-addr HOST:PORT --nnodes N --node-rank R): rank 0 opens the
 * rendezvous port and waits until every other rank has joined; the others connect (retrying while the head starts),
 * then stay up as workers without an HTTP server, until they are stopped or the head goes away.
 */
export function parseDistInitAddr(addr: string | undefined): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(addr ?? '');
  if (!m) throw new Error(`--dist-init-addr must be HOST:PORT when --nnodes > 1, got ${addr ?? 'nothing'}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

const nodeName = (): string => process.env.SLURMD_NODENAME ?? os.hostname();

/** Head: resolves once nnodes − 1 workers have joined. */
export function waitForWorkers(addr: { host: string; port: number }, nnodes: number, log: (msg: string) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    let joined = 0;
    const server = net.createServer((sock) => {
      sock.setEncoding('utf8');
      sock.once('data', (d: string) => {
        joined++;
        log(`node rank ${d.trim()} joined the rendezvous (${joined + 1}/${nnodes} nodes)`);
        if (joined === nnodes - 1) resolve(server);
      });
      sock.on('error', () => undefined);
    });
    server.once('error', reject);
    server.listen(addr.port, addr.host === '0.0.0.0' ? undefined : addr.host, () => log(`rank 0 on ${nodeName()}: waiting for ${nnodes - 1} more node(s) at ${addr.host}:${addr.port}`));
  });
}

/** Worker: joins the head (retrying for up to 10 min, as NCCL's rendezvous would wait), resolves when the head goes away. */
export async function joinHead(addr: { host: string; port: number }, rank: number, log: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(addr.port, addr.host, () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (sock) {
      sock.write(`${rank}\n`);
      log(`node rank ${rank} on ${nodeName()}: joined the head at ${addr.host}:${addr.port}`);
      await new Promise<void>((resolve) => sock.once('close', () => resolve()));
      return;
    }
    if (Date.now() > deadline) throw new Error(`could not reach the head at ${addr.host}:${addr.port}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
