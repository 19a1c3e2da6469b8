import * as net from 'node:net';
import type { SshPool } from './sshPool';
import { targetLabel, type SshTarget } from './sshTarget';

export interface Tunnel {
  readonly id: string;
  readonly target: SshTarget;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly description: string;
}

/**
 * Local 127.0.0.1 listeners whose connections are carried to host:port on the far side of a pooled SSH connection.
 * Each accepted socket asks the pool for the current connection, so a tunnel keeps working across reconnects.
 */
export class TunnelManager {
  private readonly open = new Map<string, { tunnel: Tunnel; server: net.Server; sockets: Set<net.Socket> }>();

  constructor(private readonly pool: SshPool, private readonly log?: (line: string) => void) {}

  async openTunnel(target: SshTarget, remoteHost: string, remotePort: number, localPort = 0): Promise<Tunnel> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      this.pool.forwardOut(target, remoteHost, remotePort).then(
        (remote) => {
          sock.pipe(remote).pipe(sock);
          remote.on('error', () => sock.destroy());
          sock.on('error', () => remote.destroy());
          sock.on('close', () => remote.destroy());
        },
        (e: unknown) => {
          this.log?.(`tunnel ${targetLabel(target)} → ${remoteHost}:${remotePort}: ${(e as Error).message}`);
          sock.destroy();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(localPort, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    const tunnel: Tunnel = { id: `${target.id}:${remoteHost}:${remotePort}:${port}`, target, remoteHost, remotePort, localPort: port, description: `127.0.0.1:${port} → ${targetLabel(target)} → ${remoteHost}:${remotePort}` };
    this.open.set(tunnel.id, { tunnel, server, sockets });
    return tunnel;
  }

  list(): Tunnel[] {
    return [...this.open.values()].map((o) => o.tunnel);
  }

  close(id: string): void {
    const o = this.open.get(id);
    if (!o) return;
    this.open.delete(id);
    o.server.close();
    for (const s of o.sockets) s.destroy();
  }

  dispose(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }
}
