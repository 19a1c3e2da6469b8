import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DeepSeekApi } from '../../src/vscode/extension';
import type { BenchmarkOutcome } from '../../src/vscode/bench/benchmarkEndpoint';
import { requestMessages } from '../../src/core/chat/conversation';
import { EndpointsTreeProvider } from '../../src/vscode/endpoints/endpointsTreeProvider';

const EXT_ID = 'deepseek-deploy.deepseek-deploy';

/** A tree item's label as text (labels may be strings or highlight objects). */
const labelOf = (item: vscode.TreeItem): string => (typeof item.label === 'string' ? item.label : item.label?.label ?? '');

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

  test('SSH hosts imported from a test ssh config (incl. one behind a ProxyJump) show their 8 GPUs over the real sshd', async () => {
    const a = await api();
    const infra = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
    const cfg = vscode.workspace.getConfiguration('deepseek');
    await cfg.update('sshConfigFile', `${infra}/ssh_config`, vscode.ConfigurationTarget.Global);
    await cfg.update('knownHostsFiles', [`${infra}/known_hosts`], vscode.ConfigurationTarget.Global);
    const imported = await vscode.commands.executeCommand<string[]>('deepseek.importSshHosts', { aliases: ['dsd-gpu', 'dsd-behind-bastion'] });
    assert.deepEqual(imported, ['dsd-gpu', 'dsd-behind-bastion']);
    const roots = a.hosts.getChildren();
    const labels = roots.map((r) => labelOf(a.hosts.getTreeItem(r)));
    assert.deepEqual(labels, ['This machine', 'dsd-gpu', 'dsd-behind-bastion']);
    for (const r of roots.slice(1)) {
      const item = a.hosts.getTreeItem(r);
      assert.equal(item.description, '8× H100 80GB · 12% · 40/637 GB', JSON.stringify(a.hosts.probeResult(`ssh:${labelOf(item)}`)));
      const gpuRows = a.hosts.getChildren(r).map((c) => a.hosts.getTreeItem(c)).filter((c) => /^\d+: /.test(labelOf(c)));
      assert.equal(gpuRows.length, 8);
      assert.equal(gpuRows[0].description, '97% · 39/80 GB · 31°C');
    }
  });

  test('an unreachable SSH host shows its error on the node with a retry action; Remove Host takes it away', async () => {
    const a = await api();
    await vscode.commands.executeCommand('deepseek.addHost', { spec: 'dsd-gpu@127.0.0.1:1', name: 'dead-port' });
    const node = a.hosts.getChildren().find((r) => a.hosts.getTreeItem(r).label === 'dead-port');
    assert.ok(node);
    assert.equal(a.hosts.getTreeItem(node).description, 'unreachable');
    const [err] = a.hosts.getChildren(node).map((c) => a.hosts.getTreeItem(c));
    assert.match(labelOf(err), /connection refused/);
    assert.equal(err.command?.command, 'deepseek.refreshHosts');
    await vscode.commands.executeCommand('deepseek.removeHost', { hostId: 'ssh:dsd-gpu@127.0.0.1:1' });
    assert.ok(!a.hosts.getChildren().some((r) => a.hosts.getTreeItem(r).label === 'dead-port'));
  });

  test('a port forward over the pooled connection carries HTTP and can be closed', async () => {
    const a = await api();
    const http = await import('node:http');
    const server = http.createServer((_req, res) => res.end('hello through ssh'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const t = await vscode.commands.executeCommand<{ id: string; localPort: number }>('deepseek.openTunnel', { hostId: 'ssh:dsd-gpu', remotePort: port });
      assert.ok(t, 'tunnel opened');
      assert.equal(await (await fetch(`http://127.0.0.1:${t.localPort}/`)).text(), 'hello through ssh');
      const host = a.hosts.getChildren().find((r) => a.hosts.getTreeItem(r).label === 'dsd-gpu')!;
      assert.ok(a.hosts.getChildren(host).some((c) => labelOf(a.hosts.getTreeItem(c)).startsWith(`tunnel 127.0.0.1:${t.localPort}`)));
      await vscode.commands.executeCommand('deepseek.closeTunnel', { id: t.id });
      await assert.rejects(fetch(`http://127.0.0.1:${t.localPort}/`));
    } finally {
      server.close();
    }
  });

  test('Launch from Profile: a *.deepseek.yaml for the SSH host runs in docker, becomes a ready endpoint through the tunnel; the engine benchmark runs in its container; Stop removes it', async () => {
    const a = await api();
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-profile-'));
    const write = (name: string, body: string[]): string => {
      const f = path.join(dir, `${name}.deepseek.yaml`);
      fs.writeFileSync(f, `${body.join('\n')}\n`);
      return f;
    };
    const common = ['host: dsd-gpu', 'engine: {kind: vllm, version: 0.9.0}', 'parallel: {tp: 8}', "env: {DSD_SIM_OPTS: '--startup-speed 60 --gpus 8xH100-80GB'}", 'runtime: {kind: docker, network: host}'];
    // The test host's GPU 0 is busy (97%) and its disk is small: pre-flight refuses until told to go ahead.
    const awq = write('vs-awq', ['name: vs-awq', 'model: {id: cognitivecomputations/DeepSeek-R1-AWQ}', 'knobs: {port: 18641}', ...common]);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('deepseek.launchProfile', { profilePath: awq })), /Only 7 of the 8 GPUs the profile needs are free: GPU 0 is in use/);
    assert.equal(a.endpoints.get('dsd-gpu/vs-awq'), undefined, 'a refused launch adds no row');
    const id = await vscode.commands.executeCommand<string>('deepseek.launchProfile', { profilePath: awq, timeoutMs: 120_000, force: true });
    assert.equal(id, 'dsd-gpu/vs-awq', 'the profile\'s host: dsd-gpu resolved as the CLI resolves it (ssh-config alias)');
    const ep = a.endpoints.get(id)!;
    assert.equal(ep.status, 'ready', ep.detail);
    assert.match(ep.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(ep.baseUrl, 'http://127.0.0.1:18641', 'reached through an SSH tunnel, not directly');
    const models = (await (await fetch(`${ep.baseUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.equal(models.data[0].id, 'cognitivecomputations/DeepSeek-R1-AWQ');
    // The engine's own benchmark, run inside its container over SSH (docker exec), parsed into the results panel.
    const native = await vscode.commands.executeCommand<{ tool: string; fields: Record<string, number> }>('deepseek.runEngineBenchmark', id, { tool: 'vllm-bench-serve', inputLen: 64, outputLen: 16, numPrompts: 4 });
    assert.equal(native.tool, 'vllm bench serve');
    assert.equal(native.fields.completed, 4);
    assert.equal(native.fields.total_output_tokens, 64);
    assert.ok(native.fields.mean_ttft_ms > 0 && native.fields.p99_itl_ms > 0);
    assert.equal(await vscode.commands.executeCommand<boolean>('deepseek.stopServer', id), true);
    assert.equal(a.endpoints.get(id)!.status, 'stopped');
    await assert.rejects(fetch(`${ep.baseUrl}/v1/models`));

    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('deepseek.launchProfile', { profilePath: write('vs-fp8', ['name: vs-fp8', 'model: {id: deepseek-ai/DeepSeek-R1}', 'knobs: {port: 18642}', ...common]) })), /memory planner: does not fit on 8× H100-80GB/);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('deepseek.launchProfile', { profilePath: write('vs-bad', ['name: vs-bad', 'engine: {kind: vllm}', 'model: {id: x}', 'runtime:', '  kind: docker', '  gpus: 8']) })), /vs-bad\.deepseek\.yaml:6:\d+: runtime\.gpus/);
  });

  test('Launch Server → simulator, SGLang and vLLM dialects, 5 times each: ready every time; the command that runs is /proc/PID/cmdline; Stop leaves no process', async function () {
    this.timeout(300_000);
    const a = await api();
    const fs = await import('node:fs');
    const os = await import('node:os');
    for (const flavor of ['sglang', 'vllm'] as const) {
      for (let i = 0; i < 5; i++) {
        const model = i === 0 ? 'deepseek-ai/DeepSeek-V3' : 'deepseek-ai/DeepSeek-R1';
        const id = await vscode.commands.executeCommand<string>('deepseek.launchServer', { hostId: 'local', flavor, model });
        const ep = a.endpoints.get(id)!;
        assert.equal(ep.status, 'ready', `${flavor} #${i + 1}: ${ep.detail}`);
        const models = (await (await fetch(`${ep.baseUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
        assert.equal(models.data[0].id, model);
        const h = a.managed.handle(id)!;
        const pid = fs.readFileSync(`${os.homedir()}/.deepseek-deploy/run/${h.record.profile.name}.pid`, 'utf8').trim();
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        assert.deepEqual(argv, h.plan.engineCommand, 'shown = running');
        assert.ok(argv.includes('simulate') && argv.includes(`--port`) && argv[argv.indexOf('--port') + 1] === new URL(ep.baseUrl).port, argv.join(' '));
        assert.equal(argv.includes('--reasoning-parser'), model !== 'deepseek-ai/DeepSeek-V3', 'DeepSeek-V3 (no reasoning) gets no parser');
        if (flavor === 'vllm' && i === 4) {
          endpointId = id; // kept running for the chat and benchmark tests below
          continue;
        }
        assert.equal(await vscode.commands.executeCommand<boolean>('deepseek.stopServer', id), true);
        await assert.rejects(fetch(`${ep.baseUrl}/v1/models`));
        assert.throws(() => process.kill(Number(pid), 0), 'the engine process is gone');
        await vscode.commands.executeCommand('deepseek.removeServer', id);
        assert.equal(a.endpoints.get(id), undefined);
      }
    }
  });

  test('Endpoints menu: Benchmark only on ready rows; Stop on running managed servers; Remove on stopped/failed ones; Show Log, Copy URL, Open Chat, Restart on managed ones', async () => {
    const a = await api();
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as { contributes: { menus: { 'view/item/context': Array<{ command: string; when: string }> } } };
    const offered = (contextValue: string): string[] => pkg.contributes.menus['view/item/context'].filter((m) => m.when.includes('view == deepseek.endpoints')).filter((m) => {
      const re = /viewItem =~ \/(.*)\/$/.exec(m.when);
      const eq = /viewItem == (\S+)/.exec(m.when);
      return re ? new RegExp(re[1]).test(contextValue) : eq ? eq[1] === contextValue : true;
    }).map((m) => m.command).sort();
    const ready = a.endpoints.get(endpointId!)!;
    const item = new EndpointsTreeProvider(a.endpoints).getTreeItem(ready);
    assert.equal(item.contextValue, 'endpoint.managed.ready');
    assert.match(String(item.description), /profile quick-sim-vllm-\d+/);
    assert.deepEqual(offered('endpoint.managed.ready'), ['deepseek.benchmarkEndpoint', 'deepseek.chatWithEndpoint', 'deepseek.copyEndpointUrl', 'deepseek.restartServer', 'deepseek.runEngineBenchmark', 'deepseek.showServerLog', 'deepseek.stopServer']);
    assert.deepEqual(offered('endpoint.managed.failed'), ['deepseek.removeServer', 'deepseek.restartServer', 'deepseek.showServerLog']);
    assert.deepEqual(offered('endpoint.managed.stopped'), ['deepseek.removeServer', 'deepseek.restartServer', 'deepseek.showServerLog']);
    assert.deepEqual(offered('endpoint.url.ready'), ['deepseek.benchmarkEndpoint', 'deepseek.chatWithEndpoint', 'deepseek.copyEndpointUrl', 'deepseek.removeEndpoint']);
    assert.equal(await vscode.commands.executeCommand<string>('deepseek.copyEndpointUrl', endpointId), `${ready.baseUrl}/v1`);
    assert.equal(await vscode.env.clipboard.readText(), `${ready.baseUrl}/v1`);
  });

  test('a server started by the CLI on an SSH host (same config dir, same host: alias) is found running after activation, shown as an endpoint, reachable through a tunnel, and stoppable; ps agrees', async function () {
    this.timeout(180_000);
    const a = await api();
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { execFileSync } = await import('node:child_process');
    const infra = process.env.DSD_INFRA ?? '/tmp/dsd-infra';
    const cli = vscode.Uri.joinPath(vscode.extensions.getExtension(EXT_ID)!.extensionUri, 'dist', 'cli.js').fsPath;
    const ssh = ['--ssh-config', `${infra}/ssh_config`, '--known-hosts', `${infra}/known_hosts`];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-found-'));
    const f = path.join(dir, 'vs-found.deepseek.yaml');
    fs.writeFileSync(f, ['name: vs-found', 'host: dsd-gpu', 'engine: {kind: simulator, imitates: sglang}', 'model: {id: deepseek-ai/DeepSeek-R1}', 'knobs: {port: 18643}', 'runtime: {kind: process}', ''].join('\n'));
    // The CLI shares this window's config dir (XDG_CONFIG_HOME), where launched servers are recorded.
    const out = execFileSync(process.execPath, [cli, 'launch', f, '--startup-speed', '1000', '--detach', ...ssh], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    assert.match(out, /^http:\/\/127\.0\.0\.1:\d+\n$/);
    assert.equal(a.endpoints.get('dsd-gpu/vs-found'), undefined);
    const found = await a.managed.rediscover();
    assert.ok(found.some((s) => s.id === 'dsd-gpu/vs-found' && s.state === 'running'), JSON.stringify(found));
    const ep = a.endpoints.get('dsd-gpu/vs-found')!;
    assert.equal(ep.status, 'ready', ep.detail);
    assert.match(ep.detail ?? '', /^found running · process on dsd-gpu/);
    const models = (await (await fetch(`${ep.baseUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
    assert.equal(models.data[0].id, 'deepseek-ai/DeepSeek-R1');
    assert.equal(await vscode.commands.executeCommand<boolean>('deepseek.stopServer', 'dsd-gpu/vs-found'), true);
    assert.equal(a.endpoints.get('dsd-gpu/vs-found')!.status, 'stopped');
    const ps = JSON.parse(execFileSync(process.execPath, [cli, 'ps', '--host', 'dsd-gpu', '--json', ...ssh], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } })) as Array<{ id: string }>;
    assert.ok(!ps.some((s) => s.id === 'dsd-gpu/vs-found'), JSON.stringify(ps));
    await vscode.commands.executeCommand('deepseek.removeServer', 'dsd-gpu/vs-found');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Chat view resolves and renders the launched endpoint (ready handshake)', async () => {
    const a = await api();
    const rendered = new Promise<number>((resolve) => {
      if (a.chat.lastRenderedEndpointCount) resolve(a.chat.lastRenderedEndpointCount);
      a.chat.onDidRender((n) => n > 0 && resolve(n));
    });
    await vscode.commands.executeCommand('deepseek.chat.focus');
    assert.equal(await Promise.race([rendered, new Promise<number>((_, rej) => setTimeout(() => rej(new Error('chat webview never rendered')), 20_000))]), a.endpoints.list().length);
  });

  test('Chat session: two turns over the launched endpoint; the second request carries the first answer only (no reasoning); history is in workspace state', async () => {
    const a = await api();
    assert.ok(endpointId);
    await a.chatSession.selectEndpoint(endpointId);
    await vscode.workspace.getConfiguration('deepseek.chat').update('maxTokens', 120, vscode.ConfigurationTarget.Global);
    await a.chatSession.newChat();
    const first = await a.chatSession.send('What is tensor parallelism?');
    assert.equal(first?.state, 'done', first?.error);
    assert.ok(first.reasoning.length > 0 && first.content.length > 0, 'reasoning and answer are split');
    assert.ok((first.stats?.completionTokens ?? 0) <= 120 && (first.stats?.tokensPerSecond ?? 0) > 0);
    const second = await a.chatSession.send('And expert parallelism?');
    assert.equal(second?.state, 'done');
    const wire = requestMessages(a.chatSession.conversation, { temperature: 0.6, topP: 0.95, maxTokens: 120, systemPrompt: '' }, 'deepseek-ai/DeepSeek-R1');
    assert.deepEqual(wire.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
    assert.equal(wire[1].content, first.content);
    assert.ok(!wire.some((m) => m.content.includes(first.reasoning.slice(0, 30))));
    const md = (await vscode.commands.executeCommand<vscode.TextDocument>('deepseek.exportChat')).getText();
    assert.match(md, /^# What is tensor parallelism\?/);
    assert.match(md, /## Assistant · deepseek-ai\/DeepSeek-R1 \(simulated\)/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('Send Prompts File… answers every tagged prompt with a concurrency limit and writes NAME.responses.json beside it', async () => {
    assert.ok(endpointId);
    const dir = vscode.workspace.workspaceFolders![0].uri;
    const file = vscode.Uri.joinPath(dir, 'input_prompts.jsonl');
    await vscode.workspace.fs.writeFile(file, Buffer.from(['gw', 'tp', 'ep', 'kv', 'moe'].map((t) => JSON.stringify({ tag: t, prompt: `Explain ${t} briefly.` })).join('\n')));
    const run = await vscode.commands.executeCommand<{ outFile: string; responses: Array<{ tag: string; response?: string; error?: string }>; cancelled: boolean }>('deepseek.sendPromptsFile', { file: file.fsPath, endpointId, concurrency: 2 });
    assert.equal(run.cancelled, false);
    assert.equal(run.outFile, vscode.Uri.joinPath(dir, 'input_prompts.responses.json').fsPath);
    const saved = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(run.outFile))).toString('utf8')) as Array<{ tag: string; response?: string; error?: string }>;
    assert.deepEqual(saved.map((r) => r.tag), ['gw', 'tp', 'ep', 'kv', 'moe']);
    assert.ok(saved.every((r) => !r.error && (r.response ?? '').length > 0), JSON.stringify(saved.map((r) => r.error)));
  });

  test('Benchmark this endpoint: a two-step concurrency sweep saves vLLM-keyed results under .deepseek/benchmarks/ and the results panel draws its tables and charts', async () => {
    const a = await api();
    assert.ok(endpointId);
    const rendered = new Promise<{ runs: number; charts: number }>((resolve) => a.benchResults.onDidRender((r) => r.runs === 2 && resolve(r)));
    const spec = (c: number) => ({ name: `ci c${c}`, random: { numPrompts: 4, inputLen: 64, outputLen: 12, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, maxConcurrency: c, ignoreEos: true });
    // A caller's extra fields are not part of a run: a `baseUrl` (a dead port) and `transport` are ignored.
    const hostile = { ...spec(4), baseUrl: 'http://127.0.0.1:9', transport: 'undici' };
    const r = await vscode.commands.executeCommand<BenchmarkOutcome>('deepseek.benchmarkEndpoint', endpointId, { runs: [spec(1), hostile] });
    assert.equal(r.results.length, 2);
    assert.equal(r.cancelled, false);
    for (const res of r.results) {
      assert.equal(res.completed, 4);
      assert.equal(res.total_output_tokens, 48);
      assert.ok((res.mean_ttft_ms as number) > 0 && (res.p99_itl_ms as number) > 0);
      assert.equal((res.deepseek_deploy as { simulated: boolean }).simulated, true);
    }
    assert.equal(r.results[0].max_concurrency, 1);
    assert.equal(r.files.length, 2);
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    for (const f of r.files) assert.ok(f.startsWith(`${ws}/.deepseek/benchmarks/ci-c`), f);
    const saved = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(r.files[1]))).toString('utf8')) as Record<string, unknown>;
    assert.equal(saved.max_concurrency, 4);
    const drawn = await Promise.race([rendered, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('results panel never rendered')), 20_000))]);
    assert.ok(drawn.charts >= 3, `sweep chart + TTFT/ITL distributions, got ${drawn.charts}`);
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
