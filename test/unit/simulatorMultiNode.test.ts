import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { CLI } from '../helpers/simulatorProcess';

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function sglangRank(rank: number, port: number, rdzv: number): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'simulate', '--startup-speed', '200', '--', 'python3', '-m', 'sglang.launch_server',
    '--model-path', 'deepseek-ai/DeepSeek-R1', '--tp', '8', '--nnodes', '2', '--node-rank', String(rank),
    '--dist-init-addr', `127.0.0.1:${rdzv}`, '--host', '127.0.0.1', '--port', String(port)]);
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = async (url: string): Promise<number> => {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
};

test('SGLang multi-node: a rank > 0 serves only the health check on its port once joined (as SGLang\'s dummy server), and leaves with the head', { timeout: 90_000 }, async () => {
  const [rdzv, headPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  const worker = sglangRank(1, workerPort, rdzv);
  // Before the head exists the worker keeps retrying and serves nothing: a probe would not pass yet.
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(await status(`http://127.0.0.1:${workerPort}/health`), 0);
  const head = sglangRank(0, headPort, rdzv);
  await until('the head to be ready', () => /fired up and ready/.test(head.output()));
  await until('the worker health check', async () => (await status(`http://127.0.0.1:${workerPort}/health`)) === 200);
  for (const p of ['/health_generate', '/ping']) assert.equal(await status(`http://127.0.0.1:${workerPort}${p}`), 200, p);
  // No API on a worker: the head serves it.
  assert.equal(await status(`http://127.0.0.1:${workerPort}/v1/models`), 404);
  assert.equal(await status(`http://127.0.0.1:${headPort}/v1/models`), 200);
  assert.match(worker.output(), /node rank 1 on .*: joined the head at 127\.0\.0\.1:\d+/);
  assert.match(head.output(), /node rank 1 joined the rendezvous \(2\/2 nodes\)/);
  head.child.kill('SIGTERM');
  assert.equal(await worker.exited, 0);
  assert.match(worker.output(), /node rank 1: the head went away; exiting/);
});
