import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { renderLaunch } from '../../src/core/runtimes/launchPlan';
import { CLI } from '../helpers/simulatorProcess';
import { createStubHost } from '../helpers/stubHost';

// Issue 3/8, kind 9: command lines are built, not edited. `logs --no-follow` used to strip "-f" out of the follow
// command's text: process and SLURM kept following (tail -F) and compose v2 broke. Each runtime now builds its own
// snapshot argv; run on a stub host (and, for the process runtime, through the real CLI), each returns promptly
// with the log and never follows.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-logs-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const profile = (kind: 'docker' | 'compose' | 'slurm' | 'process'): ProfileInput => ({ name: 'logs', host: 'local', engine: { kind: 'vllm' }, model: { id: 'm' }, runtime: kind === 'slurm' ? { kind, workdir: '~/w' } : kind === 'process' ? { kind, workdir: '~/w' } : { kind } });

for (const [kind, v2] of [['docker', false], ['compose', false], ['compose', true], ['slurm', false], ['process', false]] as const) {
  test(`kind 9: logs --no-follow on ${kind}${kind === 'compose' ? (v2 ? ' (v2 `docker compose`)' : ' (v1 docker-compose)') : ''} prints the log and returns`, () => {
    const host = createStubHost();
    try {
      const plan = renderLaunch(ProfileSchema.parse(profile(kind)));
      fs.mkdirSync(path.join(host.home, 'w'), { recursive: true });
      if (kind === 'slurm') {
        fs.writeFileSync(path.join(host.home, 'w', 'job-id-logs'), '4242;cluster\n');
        fs.writeFileSync(path.join(host.home, 'w', 'logs.4242.out'), 'slurm line 1\nslurm line 2\n');
      }
      if (kind === 'process') fs.writeFileSync(path.join(host.home, 'w', 'logs.log'), 'process line\n');
      const t0 = Date.now();
      const r = host.exec(plan.logSnapshot, undefined, v2 ? { DSD_STUB_COMPOSE_V2: '1' } : {});
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - t0 < 10_000, 'returned promptly');
      const expected = { docker: /stub log line/, compose: /stub log line/, slurm: /slurm line 1\nslurm line 2/, process: /process line/ }[kind];
      assert.match(r.stdout, expected);
      for (const c of host.calls()) assert.ok(!c.includes('-f') || c[c.indexOf('-f') + 1]?.endsWith('.yaml'), `no follow flag: ${c.join(' ')}`);
      assert.ok(!plan.logSnapshot.join(' ').match(/ -F\b|tail -f|logs -f/), plan.logSnapshot.join(' '));
      if (kind === 'compose') {
        const call = host.calls().find((c) => c.includes('logs'))!;
        assert.deepEqual(call.slice(0, v2 ? 2 : 1), v2 ? ['docker', 'compose'] : ['docker-compose'], 'the compose flavour the host has');
        assert.deepEqual(call.slice(call.indexOf('logs'), -1), ['logs', '--no-color']);
      }
    } finally {
      host.dispose();
    }
  });
}

test('kind 9: `deepseek-deploy logs PROFILE --no-follow` on a process deployment exits with the log', async () => {
  const workdir = path.join(tmp, 'run');
  fs.mkdirSync(workdir, { recursive: true });
  fs.writeFileSync(path.join(workdir, 'cli-logs.log'), 'INFO engine line A\nINFO engine line B\n');
  const file = path.join(tmp, 'cli-logs.deepseek.yaml');
  fs.writeFileSync(file, `name: cli-logs\nhost: local\nengine:\n  kind: vllm\nmodel:\n  id: m\nruntime:\n  kind: process\n  workdir: ${workdir}\n`);
  const t0 = Date.now();
  const r = await new Promise<{ code: number; stdout: string }>((resolve) => execFile(process.execPath, [CLI, 'logs', file, '--no-follow'], { timeout: 30_000 }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'INFO engine line A\nINFO engine line B\n');
  assert.ok(Date.now() - t0 < 20_000);
});
