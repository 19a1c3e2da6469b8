import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { runBenchmark, type BenchConfig } from '../../src/core/bench/runBenchmark';

// Fault kind 7 of issue 3/8 (deadlines and cancellation): a server that stalls in one benchmark phase at a time;
// cancel (the extension's Cancel button, the CLI's Ctrl-C) must end that phase within 1 s, and requests cancelled
// in flight or never sent count as cancelled, never as failed. Then EMFILE (connections capped to the descriptor
// limit) and EPIPE on the CLI's stdout.

const ROOT = path.resolve(__dirname, '../../..');
type Phase = 'probe' | 'calibrate' | 'warmup' | 'connect' | 'run' | 'none';

const TOKEN = (t: string): string => `data: ${JSON.stringify({ id: 'c', object: 'text_completion', model: 'm', choices: [{ index: 0, text: t, finish_reason: null }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } })}\n\n`;

/** A server that answers everything well except the requests of `stall`, which it holds open forever. */
async function stallingServer(stall: Phase): Promise<{ url: string; reached: Promise<void>; close: () => void }> {
  let reachedResolve!: () => void;
  const reached = new Promise<void>((r) => (reachedResolve = r));
  let modelsGets = 0;
  const srv = http.createServer((req, res) => {
    req.resume();
    const hold = (): void => {
      reachedResolve();
    };
    if (req.method === 'GET' && req.url === '/v1/models') {
      modelsGets++;
      // The probe is the first GET /v1/models; the connection warm-up GETs come after it.
      if ((stall === 'probe' && modelsGets === 1) || (stall === 'connect' && modelsGets > 1)) return hold();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] }));
    }
    if (req.method === 'POST' && (req.url === '/detokenize' || req.url === '/tokenize')) {
      if (stall === 'calibrate') return hold();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(req.url === '/detokenize' ? '{"prompt":"a b c d"}' : '{"count":4}');
    }
    if (req.method === 'POST') {
      if (stall === 'warmup') return hold();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (stall === 'run') {
        // Streams, slowly: one keep-alive comment now and then, so requests stay in flight.
        res.write(': keep-alive\n\n');
        reachedResolve();
        const t = setInterval(() => res.write(': keep-alive\n\n'), 200);
        return void res.on('close', () => clearInterval(t));
      }
      return void res.end(`${TOKEN('a')}${TOKEN('b')}${TOKEN('c')}${USAGE}data: [DONE]\n\n`);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    reached,
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  };
}

const config = (url: string, phase: Phase, transport: 'raw' | 'undici'): BenchConfig => ({
  baseUrl: url, backend: phase === 'calibrate' ? 'openai-chat' : 'openai', model: 'm', transport,
  random: { numPrompts: 6, inputLen: 4, outputLen: 3, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, burstiness: 1, maxConcurrency: 3,
  numWarmups: phase === 'warmup' ? 1 : 0, ignoreEos: true, percentileMetrics: ['ttft'], metricPercentiles: [99], mode: 'vllm',
});

for (const transport of ['raw', 'undici'] as const) {
  for (const phase of ['probe', 'calibrate', 'warmup', 'connect', 'run'] as const) {
    test(`kind 7: cancel during the ${phase} phase (${transport} client) ends the benchmark within 1 s`, async () => {
      const s = await stallingServer(phase);
      try {
        const ac = new AbortController();
        const settled = runBenchmark(config(s.url, phase, transport), { signal: ac.signal }).then((run) => ({ run, error: undefined }), (error: Error) => ({ run: undefined, error }));
        await s.reached;
        await new Promise((r) => setTimeout(r, 150));
        const t0 = performance.now();
        ac.abort();
        const r = await settled;
        const ms = performance.now() - t0;
        assert.ok(ms < 1000, `settled ${ms.toFixed(0)} ms after cancel`);
        if (phase === 'run') {
          assert.ok(r.run, String(r.error));
          assert.equal(r.run.cancelled, true);
          assert.equal(r.run.metrics.cancelled, 6, 'in flight and never sent: all cancelled');
          assert.equal(r.run.metrics.failed, 0, `cancelled requests are not failures: ${JSON.stringify(r.run.metrics.errors)}`);
        } else {
          assert.ok(r.error, 'a cancelled set-up phase rejects');
          assert.match(r.error.message, /[Cc]ancel/);
        }
      } finally {
        s.close();
      }
    });
  }
}

/**
 * Runs the CLI; with `sigintWhen`, sends SIGINT 300 ms after it resolves. `msToLastOutput`: from SIGINT to the CLI's
 * last output (its report of the cancel), i.e. when it was done; process teardown is not counted (on a loaded
 * machine `node -e 0` alone takes a second of wall time), but the process must still exit within the hard limit.
 */
function runCli(args: string[], opts: { sigintWhen?: Promise<void>; shell?: string; closeStdout?: boolean } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; msToLastOutput: number }> {
  const cmd = opts.shell ? ['bash', ['-c', `${opts.shell}; exec "$0" "$@"`, process.execPath, path.join(ROOT, 'dist/cli.js'), ...args]] as const : [process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args]] as const;
  const child = spawn(cmd[0], [...cmd[1]], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let lastOutput = 0;
  if (opts.closeStdout) child.stdout.destroy();
  else child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    lastOutput = performance.now();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    lastOutput = performance.now();
  });
  let sigintAt = 0;
  void opts.sigintWhen?.then(() => setTimeout(() => {
    sigintAt = performance.now();
    child.kill('SIGINT');
  }, 300));
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(kill);
    resolve({ code, signal, stdout, stderr, msToLastOutput: sigintAt ? lastOutput - sigintAt : NaN });
  }));
}

for (const phase of ['probe', 'run'] as const) {
  test(`kind 7: Ctrl-C during the CLI bench's ${phase} phase stops it within 1 s${phase === 'run' ? ', requests counted as cancelled' : ''}`, async () => {
    const s = await stallingServer(phase);
    try {
      const r = await runCli(['bench', '--base-url', s.url, '--model', 'm', '--num-prompts', '6', '--max-concurrency', '3', '--random-input-len', '4', '--random-output-len', '3'], { sigintWhen: s.reached });
      assert.ok(r.msToLastOutput < 1000, `reported the cancel ${r.msToLastOutput.toFixed(0)} ms after SIGINT`);
      assert.equal(r.signal, null, 'exited by itself');
      if (phase === 'run') {
        assert.match(r.stderr, /6 cancelled \(in flight or not sent; not counted as failed\)/);
        assert.doesNotMatch(r.stderr, /failed:/);
      } else assert.match(r.stderr, /[Cc]ancel/);
    } finally {
      s.close();
    }
  });
}

test('kind 7: EMFILE: with `ulimit -n 100` the CLI bench caps its connections, says why, and every request completes', async () => {
  const s = await stallingServer('none');
  try {
    const r = await runCli(['bench', '--base-url', s.url, '--model', 'm', '--num-prompts', '120', '--max-concurrency', '120', '--random-input-len', '4', '--random-output-len', '3'], { shell: 'ulimit -n 100' });
    assert.match(r.stderr, /Concurrency capped at 36 connections: this process may open 100 files \(ulimit -n\)/);
    assert.match(r.stdout, /Successful requests:\s+120/);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    s.close();
  }
});

test('kind 7: EPIPE: the CLI whose stdout reader went away exits quietly (no stack trace)', async () => {
  const s = await stallingServer('none');
  try {
    const r = await runCli(['bench', '--base-url', s.url, '--model', 'm', '--num-prompts', '4', '--random-input-len', '4', '--random-output-len', '3'], { closeStdout: true });
    assert.doesNotMatch(r.stderr, /EPIPE|Error:|at .*\(/, r.stderr);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0);
  } finally {
    s.close();
  }
});
