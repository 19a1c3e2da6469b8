import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeepSeekApi } from '../../src/vscode/extension';

// Issue 3/8, kind 4 (apiKeySecret works) in the real extension host: "DeepSeek: Set Secret…" stores the key under the
// name a profile's knobs.apiKeySecret gives, and Launch from Profile hands exactly that key to the engine, which then
// refuses requests without it.

const EXT_ID = 'deepseek-deploy.deepseek-deploy';

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
  s.on('error', reject);
});

suite('Set Secret… (knobs.apiKeySecret)', () => {
  test('the stored secret is the key a profile launch gives the engine: 401 without it, 200 with it; an unstored name and a bad name are refused', async function () {
    this.timeout(120_000);
    const a = await vscode.extensions.getExtension<DeepSeekApi>(EXT_ID)!.activate();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-setsecret-'));
    const name = `VS_KEY_${process.pid}`;
    const key = `sk-vs-${Date.now()}-secret`;
    const profile = (secret: string, port: number): string => {
      const f = path.join(dir, `vs-secret-${secret}.deepseek.yaml`);
      fs.writeFileSync(f, ['name: vs-secret', 'host: local', 'engine: {kind: simulator}', 'model: {id: deepseek-ai/DeepSeek-R1}', `knobs: {port: ${port}, apiKeySecret: ${secret}}`, `runtime: {kind: process, workdir: ${path.join(dir, 'w')}}`, ''].join('\n'));
      return f;
    };
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('deepseek.launchProfile', { profilePath: profile(name, await freePort()), force: true })), /knobs\.apiKeySecret names "VS_KEY_\d+", which is not in secret storage\. Store it with "DeepSeek: Set Secret…"/);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('deepseek.setSecret', { name: 'not a name', value: key })), /letters, digits and _/);
    assert.equal(await vscode.commands.executeCommand<string>('deepseek.setSecret', { name, value: key }), name);
    const id = await vscode.commands.executeCommand<string>('deepseek.launchProfile', { profilePath: profile(name, await freePort()), force: true, timeoutMs: 60_000 });
    try {
      const ep = a.endpoints.get(id)!;
      assert.equal(ep.status, 'ready', ep.detail);
      assert.equal((await fetch(`${ep.baseUrl}/v1/models`)).status, 401, 'no key → 401');
      assert.equal((await fetch(`${ep.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status, 200, 'the stored key → 200');
      const argv = fs.readFileSync(`/proc/${fs.readFileSync(path.join(dir, 'w', 'vs-secret.pid'), 'utf8').trim()}/cmdline`, 'latin1');
      assert.ok(!argv.includes(key), 'not on the engine\'s command line');
    } finally {
      await vscode.commands.executeCommand('deepseek.stopServer', id);
      await vscode.commands.executeCommand('deepseek.removeServer', id);
      // Removing it (an empty value) leaves the name unstored again.
      await vscode.commands.executeCommand('deepseek.setSecret', { name, value: '' });
    }
    try {
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand('deepseek.launchProfile', { profilePath: profile(name, await freePort()), force: true })), /not in secret storage/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
