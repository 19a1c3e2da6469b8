import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { parse as parseYaml } from 'yaml';
import { ProfileSchema, type ProfileInput } from '../../src/core/profiles/profileSchema';
import { planToScript, renderLaunch } from '../../src/core/runtimes/launchPlan';
import { Deployment } from '../../src/core/launch/deployment';
import { localRunner } from '../../src/core/launch/runners';
import { CLI } from '../helpers/simulatorProcess';
import { freePort } from '../helpers/stubHost';

// Issue 3/8, kind 4: security knobs work. knobs.apiKeySecret's key reaches the engine by a mechanism the engine
// accepts (vLLM: VLLM_API_KEY in its environment, in docker and compose set inside the container from a 0600 file;
// SGLang ≥ 0.5.3: a 0600 `--config` YAML file), never on a command line, in
// a compose file, a job script or the shown script; the engine (our simulator, enforcing the key as vLLM does)
// answers 401 without it; every process's /proc/PID/cmdline (world-readable) is sampled while it runs, and the
// engine's /proc/PID/environ (where vLLM's key lives) is readable by its owner only. Engines bind 127.0.0.1.

interface ComposeService { entrypoint?: string[]; command: string[]; environment?: string[] }

const KEY = `sk-dsd-${process.pid}-${Date.now()}-Secret`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-apikey-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const profile = (kind: 'docker' | 'compose' | 'slurm' | 'process', flavor: 'vllm' | 'sglang', port = 18990): ProfileInput => ({
  name: `key-${kind}-${flavor}`, host: 'local', engine: kind === 'process' ? { kind: 'simulator', imitates: flavor } : { kind: flavor },
  model: { id: 'deepseek-ai/DeepSeek-R1' }, parallel: { tp: 8 }, knobs: { port, apiKeySecret: 'SERVER_KEY' },
  runtime: kind === 'process' ? { kind, workdir: path.join(tmp, `w-${flavor}`) } : kind === 'slurm' ? { kind, gpusPerNode: 8 } : { kind },
});

test('kind 4: the key is in no argv, compose file, job script or shown script on any runtime; only in secret stdin', () => {
  for (const kind of ['docker', 'compose', 'slurm', 'process'] as const) {
    for (const flavor of ['vllm', 'sglang'] as const) {
      const plan = renderLaunch(ProfileSchema.parse(profile(kind, flavor)), { apiKey: KEY });
      assert.ok(plan.apiKeyRequired);
      for (const s of plan.start) {
        assert.ok(!s.argv.some((w) => w.includes(KEY)), `${kind}/${flavor}: ${s.description}: argv`);
        if (s.stdin?.includes(KEY)) assert.ok(s.secretStdin, `${kind}/${flavor}: ${s.description}: stdin carrying the key is marked secret`);
      }
      assert.ok(plan.start.some((s) => s.secretStdin && s.stdin?.includes(KEY)), `${kind}/${flavor}: the key travels`);
      assert.ok(!planToScript(plan).includes(KEY), `${kind}/${flavor}: shown script`);
      assert.ok(!plan.engineCommand.some((w) => w.includes(KEY)), `${kind}/${flavor}: engine command`);
      if (flavor === 'sglang') assert.ok(plan.engineCommand.includes('--config'), 'SGLang reads the key from its --config file');
      // A container's environment shows in `docker inspect`: vLLM in docker sets VLLM_API_KEY inside, from a 0600 file.
      if (kind === 'docker' && flavor === 'vllm') {
        const run = plan.start.find((s) => s.argv[0] === 'docker' && s.argv[1] === 'run')!;
        assert.ok(run && !run.argv.some((w, i) => w === '-e' && run.argv[i + 1].startsWith('VLLM_API_KEY')), 'no -e VLLM_API_KEY');
        assert.ok(run.argv.includes('--entrypoint') && run.argv.at(-plan.engineCommand.length - 1) === '/root/.cache/huggingface/deepseek-deploy/key-docker-vllm.api-key', 'the key file is read inside the container');
      }
      // Compose: no key in the file, in compose's environment (the up step has no stdin) or in the service's
      // environment; the same wrapper as docker run reads the 0600 key file inside, its `$` written as compose's `$$`.
      if (kind === 'compose') {
        const fileStep = plan.start.find((s) => s.description.startsWith('write the compose file'))!;
        const svc = Object.values((parseYaml(fileStep.stdin!) as { services: Record<string, ComposeService> }).services)[0];
        assert.ok(!fileStep.stdin!.includes(KEY) && !fileStep.secretStdin, `${flavor}: compose file`);
        assert.ok(!(svc.environment ?? []).some((e) => e.startsWith('VLLM_API_KEY')), `${flavor}: no VLLM_API_KEY in the service environment`);
        const up = plan.start.at(-1)!;
        assert.match(up.description, /docker compose up/);
        assert.equal(up.stdin, undefined, `${flavor}: nothing reaches compose's environment`);
        if (flavor === 'vllm') {
          assert.deepEqual(svc.entrypoint, ['/bin/sh']);
          assert.deepEqual(svc.command.slice(0, 3), ['-c', 'VLLM_API_KEY="$$(cat "$$0")"; export VLLM_API_KEY; exec vllm serve "$$@"', '/root/.cache/huggingface/deepseek-deploy/key-compose-vllm.api-key']);
          assert.deepEqual(svc.command.slice(3), plan.engineCommand);
          const keyStep = plan.start.find((s) => s.secretStdin && s.stdin === KEY)!;
          assert.equal(keyStep.argv.at(-1), 'key-compose-vllm.api-key', 'the key file the wrapper reads is the one written');
          assert.match(keyStep.description, /~\/\.cache\/huggingface\/deepseek-deploy\/key-compose-vllm\.api-key \(mode 0600/);
        } else {
          assert.equal(svc.entrypoint, undefined, 'SGLang keeps the image as it is');
          assert.deepEqual(svc.command.slice(-2), ['--config', '/root/.cache/huggingface/deepseek-deploy/key-compose-sglang.api-key.yaml']);
        }
      }
    }
  }
});

test('kind 4: SGLang older than the first release with --config (0.5.3) is refused with the reason instead of getting the key on its command line', () => {
  for (const kind of ['docker', 'compose', 'slurm', 'process'] as const) {
    const old = ProfileSchema.parse({ ...profile(kind, 'sglang'), engine: kind === 'process' ? { kind: 'simulator', imitates: 'sglang', version: '0.4.6' } : { kind: 'sglang', version: '0.4.6' } });
    assert.throws(() => renderLaunch(old, { apiKey: KEY }), (e: Error) => {
      assert.match(e.message, /SGLang 0\.4\.6 cannot take knobs\.apiKeySecret \(SERVER_KEY\).*--config file only from 0\.5\.3 on.*engine\.version/);
      assert.ok(!e.message.includes(KEY), 'the key is not in the error');
      return true;
    }, kind);
    // Without a key the old release runs as before (no --config).
    assert.ok(!renderLaunch(old).engineCommand.includes('--config'), kind);
    for (const version of ['0.5.3', '0.5.3rc0', '0.5.5.post2', '0.6.0']) assert.ok(renderLaunch(ProfileSchema.parse({ ...profile(kind, 'sglang'), engine: kind === 'process' ? { kind: 'simulator', imitates: 'sglang', version } : { kind: 'sglang', version } }), { apiKey: KEY }).engineCommand.includes('--config'), `${kind} ${version}`);
  }
  // The release may come from the image tag; a generated key (SLURM's default) is explained too.
  const byTag = ProfileSchema.parse({ ...profile('docker', 'sglang'), engine: { kind: 'sglang', image: 'lmsysorg/sglang:v0.4.9.post2-cu126' } });
  assert.throws(() => renderLaunch(byTag, { apiKey: KEY }), /SGLang 0\.4\.9\.post2-cu126 cannot take/);
  const slurm = ProfileSchema.parse({ ...profile('slurm', 'sglang'), engine: { kind: 'sglang', version: '0.5.2' }, knobs: { port: 8000 } });
  assert.throws(() => renderLaunch(slurm, { apiKey: KEY }), /cannot take an API key \(the engine's port is reachable from other machines\)/);
});

test('kind 4: where the port is reachable from other machines a key is required by default; wider binding warns', () => {
  const slurm = renderLaunch(ProfileSchema.parse({ ...profile('slurm', 'vllm'), knobs: { port: 8000 } }));
  assert.notEqual(slurm.bindAddress, '0.0.0.0');
  const docker = renderLaunch(ProfileSchema.parse({ ...profile('docker', 'vllm'), knobs: { port: 8000, host: '0.0.0.0' } }));
  assert.match(docker.warnings.join('\n'), /0\.0\.0\.0.*reachable from other machines/);
  assert.match(planToScript(docker), /# WARNING: knobs\.host is 0\.0\.0\.0/);
  for (const kind of ['docker', 'compose', 'process'] as const) {
    const p = renderLaunch(ProfileSchema.parse({ ...profile(kind, 'vllm'), knobs: { port: 8000 } }));
    assert.equal(p.bindAddress, '127.0.0.1', kind);
    assert.deepEqual(p.warnings, [], kind);
  }
});

/** Every process's command line, sampled now: /proc/PID/cmdline is readable by every user of the host. */
function cmdlinesContaining(s: string): string[] {
  const hits: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(s)) hits.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  return hits;
}

for (const flavor of ['vllm', 'sglang'] as const) {
  test(`kind 4: ${flavor} as a real process: 401 without the key, 200 with it, key never in any /proc/*/cmdline, bound to 127.0.0.1`, async () => {
    const port = await freePort();
    const plan = renderLaunch(ProfileSchema.parse(profile('process', flavor, port)), { apiKey: KEY, simulatorCommand: [process.execPath, CLI], simulatorOptions: ['--startup-speed', '60'] });
    const dep = new Deployment(plan, localRunner());
    const samples: string[][] = [];
    const sampler = setInterval(() => samples.push(cmdlinesContaining(KEY)), 50);
    try {
      const url = await dep.start({ reach: (p) => Promise.resolve(`http://127.0.0.1:${p}`), apiKey: KEY, timeoutMs: 60_000 });
      const pid = fs.readFileSync(path.join(tmp, `w-${flavor}`, `key-process-${flavor}.pid`), 'utf8').trim();
      samples.push(cmdlinesContaining(KEY));
      assert.equal((await fetch(`${url}/v1/models`)).status, 401, 'no key → 401');
      assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'wrong key → 401');
      assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
      const environ = fs.statSync(`/proc/${pid}/environ`);
      assert.equal(environ.mode & 0o077, 0, '/proc/PID/environ is owner-only');
      if (flavor === 'vllm') assert.ok(fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`VLLM_API_KEY=${KEY}`), 'vLLM gets the key in its environment');
      else {
        const cfg = path.join(tmp, 'w-sglang', 'key-process-sglang.api-key.yaml');
        assert.equal(fs.statSync(cfg).mode & 0o777, 0o600, 'the SGLang config file is 0600');
        assert.ok(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(cfg), 'SGLang reads --config FILE');
      }
      // Bound to loopback: the same port on another address of this machine does not answer.
      const other = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (other) {
        const reached = await new Promise<boolean>((resolve) => {
          const s = net.connect(port, other, () => { s.destroy(); resolve(true); });
          s.on('error', () => resolve(false));
        });
        assert.equal(reached, false, `not reachable on ${other}`);
      }
    } finally {
      clearInterval(sampler);
      await dep.stop();
    }
    assert.ok(samples.length > 3, 'sampled while running');
    assert.deepEqual(samples.flat(), [], 'the key never appeared in any process command line');
    const log = fs.readFileSync(path.join(tmp, `w-${flavor}`, `key-process-${flavor}.log`), 'utf8');
    assert.ok(!log.includes(KEY), 'nor in the engine log');
  });
}
