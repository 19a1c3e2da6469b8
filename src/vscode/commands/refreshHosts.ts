import type { HostsTreeProvider } from '../views/hostsTreeProvider';

export function refreshHostsCommand(hosts: HostsTreeProvider) {
  return (): Promise<void> => hosts.refresh();
}
