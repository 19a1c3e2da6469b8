import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

/** The built CLI (tests run from out/test/<tier>/). */
export const CLI = path.resolve(__dirname, '../../../dist/cli.js');

const running: ChildProcess[] = [];

/**
 * Starts `deepseek-deploy simulate [simOpts] -- engine… --port P` as a user would and resolves once the engine says
 * it is ready (vLLM's or SGLang's line). Call stopSimulators() in after().
 */
export async function startSimulator(port: number, simOpts: readonly string[], engine: readonly string[]): Promise<string> {
  const c = spawn(process.execPath, [CLI, 'simulate', ...simOpts, '--', ...engine, '--port', String(port)]);
  running.push(c);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Application startup complete|fired up and ready/.test(out)) resolve();
    });
    c.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out.slice(-500)}`)));
  });
  return `http://127.0.0.1:${port}`;
}

export function stopSimulators(): void {
  for (const c of running.splice(0)) c.kill('SIGTERM');
}
