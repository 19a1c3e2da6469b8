import * as path from 'node:path';
import { runGpus } from './gpusCommand';
import { runHosts } from './hostsCommand';
import { runPlan } from './planCommand';
import { runBenchCli } from './benchCommand';
import { runChat } from './chatCommand';

const HELP = `deepseek-deploy ${DEEPSEEK_DEPLOY_VERSION}: deploy, chat with and benchmark DeepSeek-V3/R1 (vLLM / SGLang)

usage: deepseek-deploy <command> [options]

commands:
  simulate [sim options] -- ENGINE COMMAND   run the DeepSeek-R1 engine simulator (no GPU); see "simulate --help"
  gpus --host user@host[:port] [--json]      GPU inventory of a host over SSH (host keys verified); see "gpus --help"
  hosts [show HOST] [--json]                 ssh config hosts, and what HOST resolves to (as ssh -G); see "hosts --help"
  plan --model M --gpus 8xH100-80GB [--json] will it fit? weights, MLA KV cache, longest context; see "plan --help"
  render PROFILE | --preset ID               the exact remote script a launch runs; see "render --help"
  presets                                    built-in profiles reproducing the seed deployments
  launch PROFILE | --preset ID [--detach]    start it on its host, follow the log until ready, print the endpoint URL
  logs PROFILE|ID [--no-follow]              the server log;  stop / restart PROFILE|ID: stop (docker/compose/scancel/kill), relaunch
  ps [--host H] [--json]                     servers we started, found running on this machine and every known host
  chat --endpoint URL [--json] PROMPT        stream one answer: reasoning (stderr) and answer (stdout) kept apart
  tune SPEC.tune.yaml [--json] [--resume]    the best engine settings for your SLOs (goodput, $/Mtok, J/token); see "tune --help"

options:
  --help       show this help
  --version    print the version
`;

interface SimulatorModule { runSimulator(argv: string[], version: string): Promise<number> }

/** The simulator is its own bundle so the CLI starts fast; load it only for "simulate". */
function loadSimulator(): SimulatorModule {
  const file = path.join(__dirname, 'simulator.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(file) as SimulatorModule;
}

/** ssh2 and the SSH core live in dist/remote.js, shared with the extension and loaded only by remote commands. */
function loadRemote(): typeof import('../core/ssh/remoteHosts') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'remote.js')) as typeof import('../core/ssh/remoteHosts');
}

/** Profiles (zod, yaml), the launch renderers and the deployment runner are their own bundle too. */
function loadProfiles(): typeof import('./profileCommands') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'cli-profiles.js')) as typeof import('./profileCommands');
}

/** The chat's HTTP client and the stream parsing are the openaiClient bundle, shared with the extension. */
function loadOpenAIClient(): typeof import('../core/openai/clientBundle') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'openaiClient.js')) as typeof import('../core/openai/clientBundle');
}

/** The benchmark client and metrics (our raw HTTP client; undici for https) are their own bundle, shared with the extension. */
function loadBench(): typeof import('../core/bench/benchApi') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'bench.js')) as typeof import('../core/bench/benchApi');
}

/** The tuner (search, launches, benchmark) is its own bundle too. */
function loadTune(): typeof import('./tuneCommand') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'cli-tune.js')) as typeof import('./tuneCommand');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${DEEPSEEK_DEPLOY_VERSION}\n`);
    return 0;
  }
  if (cmd === 'simulate') return loadSimulator().runSimulator(rest, DEEPSEEK_DEPLOY_VERSION);
  if (cmd === 'gpus') return runGpus(rest, loadRemote);
  if (cmd === 'hosts') return runHosts(rest);
  if (cmd === 'plan') return runPlan(rest);
  if (cmd === 'render') return loadProfiles().runRender(rest);
  if (cmd === 'presets') return loadProfiles().runPresets();
  if (cmd === 'chat') return runChat(rest, loadOpenAIClient);
  if (cmd === 'bench') return runBenchCli(rest, loadBench);
  if (cmd === 'tune') return loadTune().runTuneCli(rest, loadRemote);
  if (cmd === 'launch' || cmd === 'stop' || cmd === 'logs' || cmd === 'restart' || cmd === 'ps') return loadProfiles().runDeploymentCommand(cmd, rest, loadRemote);
  process.stderr.write(`deepseek-deploy: unknown command "${cmd}"\n\n${HELP}`);
  return 2;
}

// `deepseek-deploy bench … | head`: the reader went away; stop quietly instead of dying on an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: Error & { code?: string }) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // chat and bench are done when they return: kept-alive sockets (undici's pools for https benchmarks) must not hold
  // the process for seconds after a Ctrl-C or a finished run. Exit once what was written has been flushed.
  const cmd = process.argv[2];
  if (cmd === 'chat' || cmd === 'bench' || cmd === 'tune') process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}, (e: unknown) => {
  process.stderr.write(`deepseek-deploy: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
