import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DeepSeekApi } from '../../src/vscode/extension';
import type { LatencyProbe } from '../../src/vscode/commands/benchmarkEndpoint';

const EXT_ID = 'deepseek-deploy.deepseek-deploy';

async function api(): Promise<DeepSeekApi> {
  const ext = vscode.extensions.getExtension<DeepSeekApi>(EXT_ID);
  assert.ok(ext, `${EXT_ID} is not loaded`);
  return ext.activate();
}

suite('DeepSeek Deploy in a real extension host', () => {
  let endpointId: string | undefined;

  test('activates lazily (not on startup) and fast', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const pkg = ext.packageJSON as { activationEvents?: string[] };
    assert.ok(!(pkg.activationEvents ?? []).includes('*'), 'activation must not be "*"');
    const a = await api();
    assert.ok(ext.isActive);
    assert.ok(a.activationMs < 500, `activation took ${a.activationMs} ms`);
  });

  test('every contributed command is registered', async () => {
    await api();
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as { contributes: { commands: Array<{ command: string }> } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = pkg.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
    assert.ok(pkg.contributes.commands.some((c) => c.command === 'deepseek.launchServer'));
  });

  test('Hosts view shows "This machine" with its probe result', async () => {
    const a = await api();
    await vscode.commands.executeCommand('deepseek.refreshHosts');
    const [host] = a.hosts.getChildren();
    const item = a.hosts.getTreeItem(host);
    assert.equal(item.label, 'This machine');
    assert.match(String(item.description), /GPU|no GPUs/);
    const children = a.hosts.getChildren(host).map((c) => JSON.stringify(a.hosts.getTreeItem(c).label));
    assert.ok(children.some((c) => /nvidia-smi|GPU \d/.test(c)), children.join(' | '));
  });

  test('Launch Server starts the simulator; the endpoint becomes ready and answers /v1/models', async () => {
    const a = await api();
    endpointId = await vscode.commands.executeCommand<string>('deepseek.launchServer', { hostId: 'local', flavor: 'vllm', model: 'deepseek-ai/DeepSeek-R1' });
    assert.ok(endpointId);
    const ep = a.endpoints.get(endpointId)!;
    assert.equal(ep.status, 'ready');
    assert.equal(ep.simulated, true);
    const models = (await (await fetch(`${ep.baseUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.equal(models.data[0].id, 'deepseek-ai/DeepSeek-R1');
  });

  test('Chat view resolves and renders the launched endpoint (ready handshake)', async () => {
    const a = await api();
    const rendered = new Promise<number>((resolve) => {
      if (a.chat.lastRenderedEndpointCount) resolve(a.chat.lastRenderedEndpointCount);
      a.chat.onDidRender((n) => n > 0 && resolve(n));
    });
    await vscode.commands.executeCommand('deepseek.chat.focus');
    assert.equal(await Promise.race([rendered, new Promise<number>((_, rej) => setTimeout(() => rej(new Error('chat webview never rendered')), 20_000))]), 1);
  });

  test('Benchmark this endpoint measures a streamed request (latency preset)', async () => {
    assert.ok(endpointId);
    const r = await vscode.commands.executeCommand<LatencyProbe>('deepseek.benchmarkEndpoint', endpointId, 24);
    assert.ok(r.ttftMs > 0 && r.e2eMs >= r.ttftMs, JSON.stringify(r));
    assert.ok((r.completionTokens ?? 0) > 0 && (r.completionTokens ?? 0) <= 24);
    assert.equal(r.simulated, true);
  });

  test('Stop Server ends the process: the endpoint is stopped and the port closes', async () => {
    const a = await api();
    assert.ok(endpointId);
    const base = a.endpoints.get(endpointId)!.baseUrl;
    assert.equal(await vscode.commands.executeCommand<boolean>('deepseek.stopServer', endpointId), true);
    assert.equal(a.endpoints.get(endpointId)!.status, 'stopped');
    await assert.rejects(fetch(`${base}/health`));
  });
});
