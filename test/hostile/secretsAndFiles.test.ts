import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { redactDeep, redactText, checkBaseUrl } from '../../src/core/security/redact';
import { writeFileNoFollow } from '../../src/core/security/safeWrite';
import { resolveResultPath, safeFileName, saveResultFile } from '../../src/core/bench/resultFiles';
import { toCsv, toMarkdown } from '../../src/core/bench/resultTables';
import { csvCell, markdownCell } from '../../src/core/security/exportEscape';
import { ProfileSchema } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { CLI } from '../helpers/simulatorProcess';
import { createStubHost } from '../helpers/stubHost';

// Issue 3/8, kind 5 (secrets never persisted from untrusted text) and kind 8 (file writes): a server that echoes the
// API key and URL credentials in its errors and picks a hostile model id; symlinks planted where we write the HF
// token and results; names with NUL, "/", "\", "..", 300 characters; spreadsheet formulas in exports.

const KEY = `sk-echo-${process.pid}-Secret`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-secrets-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const HOSTILE_MODEL = `../../../etc/evil\\${'\u0000'}${'x'.repeat(300)}/..`;

/** A server that answers /v1/models with a hostile id and every other request with an error echoing the caller's credentials. */
async function echoServer(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: HOSTILE_MODEL, object: 'model' }] }));
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `invalid request with ${req.headers.authorization} (key ${KEY}); retry at http://admin:hunter2pass@10.0.0.1/v1, token hf_${'A'.repeat(34)}`, type: 'BadRequestError', code: 400 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const run = (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
  execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
});

const allFiles = (dir: string): string[] => fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f))).filter((f) => fs.statSync(f).isFile());

test('kind 5: known keys, URL userinfo, bearer credentials and hf_ tokens are redacted (also URL-encoded and JSON-escaped)', () => {
  const t = `a ${KEY} b ${encodeURIComponent('k/y+1=')} Bearer abc.def-ghi http://u:p@h/x https://tok@h hf_${'b'.repeat(32)}`;
  const out = redactText(t, [KEY, 'k/y+1=', undefined]);
  for (const s of [KEY, encodeURIComponent('k/y+1='), 'abc.def-ghi', 'u:p@', 'tok@', `hf_${'b'.repeat(32)}`]) assert.ok(!out.includes(s), `${s} redacted: ${out}`);
  assert.deepEqual(redactDeep({ e: [`x${KEY}`], [KEY]: 1 }, [KEY]), { e: ['x[REDACTED]'], '[REDACTED]': 1 });
  assert.throws(() => checkBaseUrl('http://user:hunter2@host:8000'), (e: Error) => !e.message.includes('hunter2') && /credentials/.test(e.message));
  assert.equal(checkBaseUrl('http://host:8000'), 'http://host:8000');
});

test('kind 5: a key echoed as base64 (Basic credentials or bare), with lowercase "bearer", or with lowercase %-escapes is redacted', () => {
  const key = 'sk-Secret/Key+42';
  const b64 = Buffer.from(key).toString('base64');
  const basic = Buffer.from(`user:${key}`).toString('base64');
  const t = `echo ${b64}; authorization: Basic ${basic}; authorization: bearer other-token-123; q=${encodeURIComponent(key).toLowerCase()}`;
  const out = redactText(t, [key]);
  for (const s of [b64, basic, 'other-token-123', encodeURIComponent(key).toLowerCase()]) assert.ok(!out.includes(s), `${s} redacted: ${out}`);
  // Redaction also runs over model answers (chat history): ordinary prose with these words is left alone.
  const prose = 'A basic example: the bearer of this note, basic arithmetic, and "Authorization" as a word.';
  assert.equal(redactText(prose, [key]), prose);
});

test('kind 5 + 8: bench against a server echoing the key: nothing written or printed holds it; the hostile model id cannot steer the file name', async () => {
  const srv = await echoServer();
  const dir = path.join(tmp, 'results');
  try {
    const r = await run(['bench', '--base-url', srv.url, '--num-prompts', '3', '--random-input-len', '8', '--random-output-len', '4', '--save-result', '--result-dir', dir], { OPENAI_API_KEY: KEY });
    assert.match(r.stderr, /saved /, r.stderr);
    const files = allFiles(dir);
    assert.equal(files.length, 1, `one result file inside the result dir: ${files.join(', ')}`);
    const name = path.basename(files[0]);
    assert.ok(Buffer.byteLength(name) <= 180 && !name.includes('\u0000') && !name.includes('\\') && !name.startsWith('.'), name);
    for (const text of [fs.readFileSync(files[0], 'utf8'), r.stdout, r.stderr]) {
      for (const secret of [KEY, 'hunter2pass', `hf_${'A'.repeat(34)}`]) assert.ok(!text.includes(secret), `${secret} leaked: ${text.slice(0, 400)}`);
    }
    assert.match(fs.readFileSync(files[0], 'utf8'), /\[REDACTED\]/, 'the error is kept, redacted');
  } finally {
    srv.close();
  }
  // URL credentials are refused before anything is sent; the password is not echoed.
  const cred = await run(['bench', '--base-url', 'http://user:hunter2pass@127.0.0.1:9', '--num-prompts', '1']);
  assert.equal(cred.code, 2);
  assert.match(cred.stderr, /credentials/);
  assert.ok(!cred.stderr.includes('hunter2pass'));
});

test('kind 5: chat against a server echoing the key: the error printed is redacted', async () => {
  const srv = await echoServer();
  try {
    const r = await run(['chat', '--endpoint', srv.url, '--model', 'm', 'hello'], { OPENAI_API_KEY: KEY });
    assert.equal(r.code, 1);
    assert.ok(!r.stderr.includes(KEY) && !r.stdout.includes(KEY), r.stderr);
    assert.ok(!r.stderr.includes('hunter2pass'), r.stderr);
  } finally {
    srv.close();
  }
});

test('kind 8: --result-filename stays inside the result dir (".." refused before the run); an absolute path is taken on purpose', async () => {
  const r = await run(['bench', '--base-url', 'http://127.0.0.1:9', '--num-prompts', '1', '--result-dir', tmp, '--result-filename', '../escape.json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /leaves the result directory/);
  assert.equal(resolveResultPath('/r', 'a/b.json', 'd.json'), '/r/a/b.json');
  assert.equal(resolveResultPath('/r', '/abs/x.json', 'd.json'), '/abs/x.json');
  assert.throws(() => resolveResultPath('/r', 'a/../../x.json', 'd.json'), /leaves/);
  assert.equal(resolveResultPath('/r', undefined, '../../x.json'), '/r/.._.._x.json'.replace('/r/.._', '/r/_.._'));
  for (const bad of ['a\u0000b', 'a/b', 'a\\b', '..', '.', '', 'x'.repeat(300) + '.json', '\u202eevil.json']) {
    const s = safeFileName(bad);
    // eslint-disable-next-line no-control-regex -- NUL is one of the characters that must be gone
    assert.ok(s && !/[\u0000/\\\u202e]/.test(s) && s !== '..' && s !== '.' && Buffer.byteLength(s) <= 180, `${JSON.stringify(bad)} → ${JSON.stringify(s)}`);
  }
  assert.ok(safeFileName(`${'x'.repeat(300)}.json`).endsWith('.json'), 'the extension survives truncation');
  // kind 8: a long name of 4-byte characters (emoji model ids) is cut between characters, never inside one: a lone
  // surrogate would be written as U+FFFD, a name that no longer matches what was shown.
  for (const bad of ['\u{1F600}'.repeat(100), `a${'\u{1F600}'.repeat(100)}.json`, 'é'.repeat(200)]) {
    const s = safeFileName(bad);
    assert.ok(Buffer.byteLength(s) <= 180 && Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes('\ufffd'), `${JSON.stringify(bad)} → ${JSON.stringify(s)}`);
  }
});

test('kind 8: a symlink planted at the result path is replaced, never followed; a name too long still saves the result', () => {
  const victim = path.join(tmp, 'victim.txt');
  fs.writeFileSync(victim, 'original');
  const file = path.join(tmp, 'planted.json');
  fs.symlinkSync(victim, file);
  saveResultFile(file, { ok: KEY }, [KEY], 'fallback.json');
  assert.equal(fs.readFileSync(victim, 'utf8'), 'original', 'the victim is untouched');
  assert.ok(!fs.lstatSync(file).isSymbolicLink());
  assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { ok: string }).ok, '[REDACTED]');
  const long = path.join(tmp, `${'y'.repeat(400)}.json`);
  const saved = saveResultFile(long, { ok: 1 }, [], 'fallback.json');
  assert.equal(saved, path.join(tmp, 'fallback.json'));
  assert.throws(() => writeFileNoFollow(path.join(tmp, 'no-such-dir', 'x'), 'x'), /ENOENT/);
});

test('kind 5: the HF token is written with no-follow + ownership checks: a planted token symlink is replaced, a symlinked cache refused', () => {
  const host = createStubHost();
  try {
    const victim = path.join(host.dir, 'victim');
    fs.writeFileSync(victim, 'victim-content');
    const cache = path.join(host.home, '.cache', 'huggingface');
    fs.mkdirSync(cache, { recursive: true });
    fs.symlinkSync(victim, path.join(cache, 'token'));
    const token = `hf_${'T'.repeat(34)}`;
    const plan = renderLaunch(ProfileSchema.parse({ name: 'tok', engine: { kind: 'vllm' }, model: { id: 'm' }, runtime: { kind: 'process', workdir: '~/w' } }), { hfToken: token });
    const step = plan.start[0];
    assert.ok(step.secretStdin && !step.argv.join(' ').includes(token));
    const r = host.exec(step.argv, step.stdin);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'victim-content', 'the planted symlink was not followed');
    const st = fs.lstatSync(path.join(cache, 'token'));
    assert.ok(st.isFile() && (st.mode & 0o777) === 0o600);
    assert.equal(fs.readFileSync(path.join(cache, 'token'), 'utf8'), token);
    // A cache directory that is itself a symlink (someone else's directory) is refused with a reason.
    const elsewhere = path.join(host.dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const linked = renderLaunch(ProfileSchema.parse({ name: 'tok2', engine: { kind: 'vllm' }, model: { id: 'm' }, runtime: { kind: 'docker', hfCache: '~/linked-cache' } }), { hfToken: token });
    fs.symlinkSync(elsewhere, path.join(host.home, 'linked-cache'));
    const r2 = host.exec(linked.start[0].argv, linked.start[0].stdin);
    assert.equal(r2.code, 3);
    assert.match(r2.stderr, /refusing to write token: .* is not a directory owned by/);
    assert.deepEqual(fs.readdirSync(elsewhere), [], 'nothing written through the link');
  } finally {
    host.dispose();
  }
});

test('kind 1: CSV and Markdown exports neutralise formulas and escape table structure and HTML from server-chosen names', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  for (const c of ['+1+1', '-2+3', '@SUM(A1)', '\tx']) assert.ok(csvCell(c).replace(/^"/, '').startsWith("'"), c);
  assert.equal(csvCell('-12.5'), '-12.5', 'numbers stay numbers');
  assert.equal(markdownCell('a|b\nc<script>'), 'a\\|b c&lt;script&gt;');
  const result = { model_id: 'x', deepseek_deploy: {}, completed: 1 };
  const csv = toCsv(['=cmd|" /C calc"!A0'], [result]);
  assert.ok(!/(^|,)=/m.test(csv), csv);
  const md = toMarkdown(['a|b<img src=x onerror=alert(1)>'], [result]);
  assert.ok(!md.includes('<img') && md.includes('a\\|b'), md);
});
