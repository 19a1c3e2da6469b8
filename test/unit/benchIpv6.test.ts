import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runBenchmark } from '../../src/core/bench/runBenchmark';

// An endpoint given as an IPv6 literal (`http://[::1]:8000`, how a v6-only GPU host is reached): the URL keeps the
// brackets in its hostname, and the raw client handed them to the socket, which looked "[::1]" up as a name: every
// request failed with ENOTFOUND while the probe (node:http) worked.

test('a benchmark of http://[::1]:PORT completes on the raw client (the brackets are the URL\'s, not the address\'s)', async () => {
  const srv = http.createServer((req, res) => {
    req.resume();
    if (req.method === 'GET') {
      res.writeHead(req.url === '/v1/models' ? 200 : 404, { 'content-type': 'application/json' });
      return res.end('{"object":"list","data":[{"id":"m","object":"model"}]}');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"id":"c","object":"text_completion","choices":[{"index":0,"text":" t","finish_reason":null}]}\n\n');
    res.end('data: {"id":"c","object":"text_completion","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}\n\ndata: [DONE]\n\n');
  });
  await new Promise<void>((r) => srv.listen(0, '::1', r));
  try {
    const run = await runBenchmark({
      baseUrl: `http://[::1]:${(srv.address() as AddressInfo).port}`, backend: 'openai',
      random: { numPrompts: 3, inputLen: 8, outputLen: 1, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, burstiness: 1,
      numWarmups: 0, ignoreEos: true, percentileMetrics: ['ttft'], metricPercentiles: [99], mode: 'vllm', label: 'v6',
    });
    assert.deepEqual(run.metrics.errors, {});
    assert.equal(run.metrics.completed, 3);
  } finally {
    srv.close();
    srv.closeAllConnections();
  }
});
