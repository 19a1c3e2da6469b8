// `npm run bench` (SSH part): 100 sequential remote commands over our pooled connection against OpenSSH's
// `ssh host cmd` (a new connection each time) and OpenSSH with ControlMaster multiplexing, same host, same run.
// Needs the test sshd from ssh-up.sh.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const ROOT = path.resolve(__dirname, '../..'); // not from codeServer.js: this bench needs no VS Code tooling

const INFRA = process.env.DSD_INFRA || '/tmp/dsd-infra';
const PORT = Number(process.env.DSD_SSH_PORT || 22422);
const N = Number(process.env.BENCH_SSH_N || 100);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q; // numpy "linear"
  const lo = Math.floor(pos);
  return +(s[lo] + (s[Math.min(s.length - 1, lo + 1)] - s[lo]) * (pos - lo)).toFixed(2);
};
const stats = (xs) => ({ n: xs.length, p50Ms: quantile(xs, 0.5), p99Ms: quantile(xs, 0.99), meanMs: +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2) });
const accepted = () => (fs.readFileSync(path.join(INFRA, 'gpu/sshd.log'), 'utf8').match(/Accepted publickey for dsd-gpu/g) || []).length;

async function ours() {
  const { createRemoteHosts } = require(path.join(ROOT, 'dist/remote.js'));
  const remote = createRemoteHosts({ knownHostsFiles: [path.join(INFRA, 'known_hosts')], confirmHostKey: async () => false, prompts: { passphrase: async () => undefined } });
  const target = { id: 'bench', host: '127.0.0.1', port: PORT, user: 'dsd-gpu', identityFiles: [path.join(INFRA, 'keys/client')], agent: 'none' };
  const before = accepted();
  const times = [];
  try {
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await remote.pool.exec(target, ['echo', String(i)]);
      times.push(performance.now() - t0);
      if (r.stdout !== `${i}\n`) throw new Error(`unexpected output ${JSON.stringify(r.stdout)}`);
    }
  } finally {
    remote.dispose();
  }
  await new Promise((r) => setTimeout(r, 200));
  return { ...stats(times), firstMs: +times[0].toFixed(1), handshakes: remote.pool.handshakes, acceptedPublickeyInSshdLog: accepted() - before };
}

function openssh(extra) {
  const base = ['-F', path.join(INFRA, 'ssh_config'), '-o', `UserKnownHostsFile=${path.join(INFRA, 'known_hosts')}`, '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', ...extra, 'dsd-gpu'];
  const before = accepted();
  const times = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = spawnSync('ssh', [...base, 'echo', String(i)], { encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (!r.stdout.endsWith(`${i}\n`)) throw new Error(`openssh: ${r.stderr}`);
  }
  return { ...stats(times), acceptedPublickeyInSshdLog: accepted() - before };
}

async function benchSsh() {
  const pooled = await ours();
  const fresh = openssh([]);
  const ctl = path.join(INFRA, `cm-${process.pid}`);
  const mux = openssh(['-o', 'ControlMaster=auto', '-o', `ControlPath=${ctl}`, '-o', 'ControlPersist=30']);
  spawnSync('ssh', ['-o', `ControlPath=${ctl}`, '-O', 'exit', 'dsd-gpu'], { stdio: 'ignore' });
  return {
    commands: N,
    note: 'sequential `echo i` on 127.0.0.1; ours = one pooled ssh2 connection whose persistent `bash -l -s` session runs each command as a framed script (src/core/ssh/shellChannel.ts); OpenSSH = `ssh host echo i` (new connection each time) and with ControlMaster',
    deepseekPooled: pooled,
    opensshNewConnection: fresh,
    opensshControlMaster: mux,
    ratioP50VsOpensshNew: +(pooled.p50Ms / fresh.p50Ms).toFixed(3),
    ratioP50VsOpensshControlMaster: +(pooled.p50Ms / mux.p50Ms).toFixed(3),
    ratioP99VsOpensshControlMaster: +(pooled.p99Ms / mux.p99Ms).toFixed(3),
    // Issue 12's targets: p50 <= ControlMaster's p50 and p99 <= 1.5x ControlMaster's p99, in the same run.
    meetsTargets: { oneHandshake: pooled.handshakes === 1 && pooled.acceptedPublickeyInSshdLog === 1, p50AtMostControlMaster: pooled.p50Ms <= mux.p50Ms, p99AtMost1_5xControlMaster: pooled.p99Ms <= 1.5 * mux.p99Ms },
  };
}

module.exports = { benchSsh };

if (require.main === module) {
  benchSsh().then((r) => {
    const date = new Date().toISOString();
    const file = path.join(ROOT, 'bench-results', `ssh-${date.replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ date, node: process.version, ...r }, null, 2));
    const l = (name, x) => console.log(`  ${name.padEnd(30)} p50 ${String(x.p50Ms).padStart(7)} ms  p99 ${String(x.p99Ms).padStart(7)} ms  sshd logins ${x.acceptedPublickeyInSshdLog}`);
    console.log(`${r.commands} sequential remote commands:`);
    l('DeepSeek Deploy (pooled)', r.deepseekPooled);
    l('OpenSSH ssh host cmd', r.opensshNewConnection);
    l('OpenSSH ControlMaster', r.opensshControlMaster);
    console.log(`  ratio p50 ours/OpenSSH-new ${r.ratioP50VsOpensshNew}, ours/ControlMaster p50 ${r.ratioP50VsOpensshControlMaster} (target <= 1), p99 ${r.ratioP99VsOpensshControlMaster} (target <= 1.5); one handshake: ${r.meetsTargets.oneHandshake}`);
    console.log(`wrote ${path.relative(ROOT, file)}`);
  }, (e) => { console.error(e); process.exit(1); });
}
