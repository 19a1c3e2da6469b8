import type { HostsTreeProvider } from './hostsTreeProvider';

/** Refresh all hosts, or one (the error node's "retry" passes its host id). */
export function refreshHostsCommand(hosts: HostsTreeProvider) {
  return (hostId?: unknown): Promise<void> => hosts.refresh(typeof hostId === 'string' ? hostId : undefined);
}
