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
    // Labels, model ids and details come from servers and profiles: appendText escapes them (no markup, no links).
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown('**').appendText(e.label).appendMarkdown('**\n\n').appendText(e.baseUrl).appendMarkdown('\n\nmodel: ').appendText(e.model);
    if (e.profile) tip.appendMarkdown('\n\nprofile: ').appendText(e.profile);
    if (e.detail) tip.appendMarkdown('\n\n').appendText(e.detail);
    item.tooltip = tip;
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
