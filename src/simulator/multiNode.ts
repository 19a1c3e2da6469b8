import * as http from 'node:http';
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

/** The head's end of the rendezvous: close() stops listening and drops every worker's connection. */
export interface Rendezvous {
  close(): void;
}

/**
 * Head: resolves once nnodes − 1 workers have joined. Closing it also ends the workers' connections (a worker leaves
 * when its head goes away), so a stopped head exits at once instead of waiting for its workers.
 */
export function waitForWorkers(addr: { host: string; port: number }, nnodes: number, log: (msg: string) => void): Promise<Rendezvous> {
  return new Promise((resolve, reject) => {
    let joined = 0;
    const sockets = new Set<net.Socket>();
    const rendezvous: Rendezvous = {
      close: () => {
        server.close();
        for (const s of sockets) s.destroy();
      },
    };
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.setEncoding('utf8');
      sock.once('data', (d: string) => {
        joined++;
        log(`node rank ${d.trim()} joined the rendezvous (${joined + 1}/${nnodes} nodes)`);
        if (joined === nnodes - 1) resolve(rendezvous);
      });
      sock.on('error', () => undefined);
    });
    server.once('error', reject);
    server.listen(addr.port, addr.host === '0.0.0.0' ? undefined : addr.host, () => log(`rank 0 on ${nodeName()}: waiting for ${nnodes - 1} more node(s) at ${addr.host}:${addr.port}`));
  });
}

/**
 * Worker: joins the head (retrying for up to 10 min, as NCCL's rendezvous would wait), calls `onJoined` once it has,
 * and resolves when the head goes away.
 */
export async function joinHead(addr: { host: string; port: number }, rank: number, log: (msg: string) => void, onJoined?: () => void): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(addr.port, addr.host, () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (sock) {
      sock.write(`${rank}\n`);
      log(`node rank ${rank} on ${nodeName()}: joined the head at ${addr.host}:${addr.port}`);
      onJoined?.();
      await new Promise<void>((resolve) => sock.once('close', () => resolve()));
      return;
    }
    if (Date.now() > deadline) throw new Error(`could not reach the head at ${addr.host}:${addr.port}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * SGLang's ranks > 0 serve no API but a health-only HTTP server on --host/--port once their schedulers are ready
 * (sglang/srt/utils launch_dummy_health_check_server: GET /health, /health_generate and /ping answer 200), so a
 * Kubernetes probe shared by every rank of a StatefulSet passes on them too. Anything else is 404, as FastAPI's.
 */
export function serveWorkerHealth(host: string, port: number, log: (msg: string) => void): http.Server {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/health' || path === '/health_generate' || path === '/ping')) {
      res.writeHead(200, { 'content-length': '0' }).end();
      return;
    }
    const body = JSON.stringify({ detail: 'Not Found' });
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
  });
  // Real ranks run on separate machines; where they share one (the test SLURM cluster's node1/node2 are this machine),
  // rank 0 already holds the port: say so without the engine's fatal "address already in use" wording.
  server.on('error', (e: NodeJS.ErrnoException) => log(e.code === 'EADDRINUSE'
    ? `health-check server not started: ${host}:${port} is held by another rank on this machine (ranks share a host)`
    : `health-check server on ${host}:${port}: ${e.message}`));
  server.listen(port, host, () => log(`Dummy health check server started at http://${host}:${port}`));
  return server;
}
