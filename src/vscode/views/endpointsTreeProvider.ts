import * as vscode from 'vscode';
import type { Endpoint, EndpointStore } from '../../core/endpoints/endpointStore';

const ICONS: Record<Endpoint['status'], string> = { starting: 'loading~spin', ready: 'pass-filled', failed: 'error', stopped: 'circle-slash' };

export class EndpointsTreeProvider implements vscode.TreeDataProvider<Endpoint> {
  private readonly changed = new vscode.EventEmitter<Endpoint | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly store: EndpointStore) {
    store.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(e: Endpoint): vscode.TreeItem {
    const item = new vscode.TreeItem(e.label, vscode.TreeItemCollapsibleState.None);
    item.id = `endpoint:${e.id}`;
    item.description = [e.status, e.simulated ? 'simulated' : undefined, e.profile ? `profile ${e.profile}` : undefined, e.baseUrl].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(`**${e.label}**\n\n${e.baseUrl}\n\nmodel: \`${e.model}\`${e.profile ? `\n\nprofile: \`${e.profile}\`` : ''}${e.detail ? `\n\n${e.detail}` : ''}`);
    item.iconPath = new vscode.ThemeIcon(ICONS[e.status]);
    // endpoint.<kind>.<status>: package.json's `when` clauses offer Benchmark only on ready rows, Stop on running
    // managed servers, Remove on stopped/failed ones (and on endpoints added by URL).
    item.contextValue = `endpoint.${e.launched ? 'managed' : e.id.startsWith('url:') ? 'url' : 'other'}.${e.status}`;
    return item;
  }

  getChildren(e?: Endpoint): Endpoint[] {
    return e ? [] : this.store.list();
  }
}
