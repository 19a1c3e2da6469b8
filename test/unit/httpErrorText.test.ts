import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { listModels } from '../../src/core/openai/models';
import { fetchImageDataUrl } from '../../src/core/openai/imageFetch';
import { runBenchmark } from '../../src/core/bench/runBenchmark';
import { httpErrorText } from '../../src/core/openai/httpRequest';

// The small requests (model list, probe, /tokenize, images) go over node:http, whose own error texts read badly: a
// connection closed mid-body is "aborted" (reads like a cancel), a port that is not HTTP/1.1 is "HPE_INVALID_CONSTANT",
// a timeout is "The operation was aborted". Each case here is a raw TCP server doing what a real wrong server does.

/** A TCP server running `onConn` for each connection; resolves its base URL. */
async function tcp(onConn: (s: net.Socket, firstBytes: string) => void): Promise<{ url: string; close: () => void }> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => undefined);
    s.on('data', (d) => onConn(s, d.toString('latin1')));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => { for (const s of socks) s.destroy(); srv.close(); } };
}

const json = (s: net.Socket, body: string): void => {
  s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
};

test('the model list from an SSH port (a banner, not HTTP) says the answer is not HTTP/1.1, not a parser code alone', async () => {
  const srv = await tcp((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
  try {
    await assert.rejects(listModels(srv.url, undefined, 3000), (e: Error) => {
      assert.match(e.message, /^Cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/models: the answer is not HTTP\/1\.1 \(HPE_[A-Z_]+\): is this port an HTTP server \(not SSH, not HTTP\/2 only\)\?$/);
      return true;
    });
  } finally {
    srv.close();
  }
});

test('a model list cut mid-body says the server closed the connection before the response ended (not "aborted")', async () => {
  const srv = await tcp((s) => {
    s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"object":"list","data":[');
    setTimeout(() => s.destroy(), 50);
  });
  try {
    await assert.rejects(listModels(srv.url, undefined, 3000), /: the server closed the connection before the response ended$/);
  } finally {
    srv.close();
  }
});

test('a connection closed without an answer says so, with ECONNRESET', async () => {
  const srv = await tcp((s) => s.destroy());
  try {
    await assert.rejects(listModels(srv.url, undefined, 3000), /: the server closed the connection without answering \(ECONNRESET\)$/);
  } finally {
    srv.close();
  }
});

test('an image whose server never answers ends at its timeout with "no complete answer in 0.3 s"; one cut mid-body says the connection closed', async () => {
  const silent = await tcp(() => undefined);
  const cut = await tcp((s) => {
    s.write('HTTP/1.1 200 OK\r\ncontent-type: image/png\r\ncontent-length: 100000\r\n\r\n\x89PNG');
    setTimeout(() => s.destroy(), 50);
  });
  try {
    const t0 = Date.now();
    await assert.rejects(fetchImageDataUrl(`${silent.url}/a.png`, 300), /^Error: no complete answer in 0\.3 s$/);
    assert.ok(Date.now() - t0 < 3000);
    await assert.rejects(fetchImageDataUrl(`${cut.url}/a.png`, 3000), (e: Error) => e.message === 'the server closed the connection before the response ended');
  } finally {
    silent.close();
    cut.close();
  }
});

test('a benchmark whose /tokenize answer is cut mid-body (chat prompt calibration) fails naming the URL and what happened', async () => {
  const srv = await tcp((s, first) => {
    if (first.startsWith('GET /v1/models')) return json(s, '{"object":"list","data":[{"id":"m","object":"model"}]}');
    if (first.startsWith('GET /version')) return json(s, '{"version":"0.20.0"}');
    if (first.startsWith('POST /tokenize') || first.startsWith('POST /detokenize')) {
      s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"tokens":[1,2,');
      return void setTimeout(() => s.destroy(), 50);
    }
    s.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
  });
  try {
    await assert.rejects(
      runBenchmark({ baseUrl: srv.url, backend: 'openai-chat', model: 'm', random: { numPrompts: 2, inputLen: 8, outputLen: 2, rangeRatio: 0, prefixLen: 0, seed: 0 }, requestRate: Infinity, burstiness: 1, numWarmups: 0, ignoreEos: true, percentileMetrics: ['ttft'], metricPercentiles: [99], mode: 'vllm', label: 't' }),
      (e: Error) => {
        assert.match(e.message, /^http:\/\/127\.0\.0\.1:\d+\/(de)?tokenize: the server closed the connection before the response ended$/);
        return true;
      },
    );
  } finally {
    srv.close();
  }
});

test('TLS failures say what to do: a certificate for other names, an expired one, an HTTP/2-only endpoint (Node\'s codes and messages as node:tls gives them)', () => {
  const tlsError = (code: string, message: string): Error => Object.assign(new Error(message), { code });
  assert.equal(httpErrorText(tlsError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ")), "the server's TLS certificate does not name this host (ERR_TLS_CERT_ALTNAME_INVALID): connect by a name the certificate lists, or skip the check for a benchmark with --insecure");
  assert.equal(httpErrorText(tlsError('CERT_HAS_EXPIRED', 'certificate has expired')), "the server's TLS certificate has expired (CERT_HAS_EXPIRED); skip the check for a benchmark with --insecure");
  assert.equal(httpErrorText(tlsError('EPROTO', 'C0F7:error:0A000460:SSL routines:ssl3_read_bytes:tlsv1 alert no application protocol:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 120')), 'the TLS handshake failed (EPROTO, no application protocol): the server offers no HTTP/1.1 (an HTTP/2-only endpoint?)');
});
