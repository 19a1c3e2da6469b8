import * as path from 'node:path';
import { runGpus } from './gpusCommand';
import { runPlan } from './planCommand';

const HELP = `deepseek-deploy ${DEEPSEEK_DEPLOY_VERSION}: deploy, chat with and benchmark DeepSeek-V3/R1 (vLLM / SGLang)

usage: deepseek-deploy <command> [options]

commands:
  simulate [sim options] -- ENGINE COMMAND   run the DeepSeek-R1 engine simulator (no GPU); see "simulate --help"
  gpus --host user@host[:port] [--json]      GPU inventory of a host over SSH (host keys verified); see "gpus --help"
  plan --model M --gpus 8xH100-80GB [--json] will it fit? weights, MLA KV cache, longest context; see "plan --help"
  render PROFILE | --preset ID               the exact remote script a launch runs; see "render --help"
  presets                                    built-in profiles reproducing the seed deployments

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

/** Profiles (zod, yaml) and the launch renderers are their own bundle too. */
function loadRender(): typeof import('./renderCommand') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path keeps the bundle separate
  return require(path.join(__dirname, 'cli-render.js')) as typeof import('./renderCommand');
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
  if (cmd === 'plan') return runPlan(rest);
  if (cmd === 'render') return loadRender().runRender(rest);
  if (cmd === 'presets') return loadRender().runPresets();
  process.stderr.write(`deepseek-deploy: unknown command "${cmd}"\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e: unknown) => {
  process.stderr.write(`deepseek-deploy: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
