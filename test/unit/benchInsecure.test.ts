import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as https from 'node:https';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { runBenchmark, type BenchConfig } from '../../src/core/bench/runBenchmark';

// `bench --insecure` (vLLM bench serve's flag) against an https endpoint with a self-signed certificate: every request
// of the run skips the certificate check, the probe (/v1/models, /version) included; without the flag the run stops at
// the probe with the TLS error. A self-signed endpoint is what a GPU box behind its own TLS terminator often is. The
// stream goes over our raw client with TLS (the default) and over undici (--transport undici).

function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('--insecure reaches every request to a self-signed https endpoint, the probe included; without it the probe names the certificate error', async () => {
  const seen: string[] = [];
  const srv = https.createServer(selfSigned(), (req, res) => {
    req.resume();
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"object":"list","data":[{"id":"m","object":"model"}]}');
    }
    if (req.method === 'POST' && req.url === '/v1/completions') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"c","object":"text_completion","choices":[{"index":0,"text":" t","finish_reason":null}]}\n\n');
      res.write('data: {"id":"c","object":"text_completion","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}\n\n');
      return res.end('data: [DONE]\n\n');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const cfg = (insecure: boolean, transport?: 'undici'): BenchConfig => ({
    baseUrl: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, backend: 'openai', insecure, transport,
    random: { numPrompts: 3, inputLen: 8, outputLen: 1, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, burstiness: 1,
    numWarmups: 0, ignoreEos: true, percentileMetrics: ['ttft'], metricPercentiles: [99], mode: 'vllm', label: 'tls',
  });
  try {
    await assert.rejects(runBenchmark(cfg(false)), /\/v1\/models: the server's TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): add its CA with NODE_EXTRA_CA_CERTS, or skip the check for a benchmark with --insecure$/);
    assert.equal(seen.length, 0, 'no request got past the TLS handshake without --insecure');
    const run = await runBenchmark(cfg(true));
    assert.equal(run.metrics.completed, 3);
    assert.ok(seen.includes('GET /v1/models') && seen.includes('GET /version'), `the probe went through: ${seen.join(', ')}`);
    assert.equal(seen.filter((s) => s === 'POST /v1/completions').length, 3);
    assert.equal(run.metrics.summaries.ttft.median > 0, true);
    const viaUndici = await runBenchmark(cfg(true, 'undici'));
    assert.equal(viaUndici.metrics.completed, 3);
    assert.equal(seen.filter((s) => s === 'POST /v1/completions').length, 6);
  } finally {
    srv.close();
    srv.closeAllConnections();
  }
});
