import type { CommandRunner } from './deployment';
import type { PreflightReport } from './preflight';
import type { Profile } from '../profiles/profileSchema';
import { defaultImage } from '../engines/engineArgv';

/** One thing to fetch on the host before the engine starts: the engine image, or the model's weights. */
export interface FetchStep {
  readonly kind: 'pull-image' | 'download-weights';
  /** For the offer and the progress title: "Pull vllm/vllm-openai:v0.20.0", "Download deepseek-ai/DeepSeek-V4-Flash". */
  readonly title: string;
  readonly argv: readonly string[];
}

/**
 * What pre-flight found missing that we can fetch: the image (`docker pull`, its own progress) and the weights of a
 * hub model (`hf download MODEL`, huggingface_hub's CLI, `huggingface-cli download` before hub 0.34; both resume an
 * interrupted download and read the token from $HF_HOME/token, where the launch writes it). The weights go where
 * pre-flight looked: $HF_HOME, else ~/.cache/huggingface. Local paths and offline hosts get no download step (pre-flight
 * refuses those with their remedy).
 */
export function fetchSteps(p: Profile, preflight: PreflightReport): FetchStep[] {
  const steps: FetchStep[] = [];
  if (preflight.imageMissing) steps.push({ kind: 'pull-image', title: `Pull ${preflight.imageMissing}`, argv: ['docker', 'pull', defaultImage(p)] });
  const local = /^(\/|~\/|\.\/)/.test(p.model.id);
  if (preflight.weightsMissing && !local) {
    steps.push({
      kind: 'download-weights',
      title: `Download ${p.model.id}`,
      argv: ['sh', '-c', 'if command -v hf >/dev/null 2>&1; then exec hf download "$0"; elif command -v huggingface-cli >/dev/null 2>&1; then exec huggingface-cli download "$0"; else echo "neither hf nor huggingface-cli is installed on the host (pip install -U huggingface_hub)" >&2; exit 127; fi', p.model.id],
    });
  }
  return steps;
}

/** A fetch step that did not finish: its exit status and the last lines it printed. */
export class FetchError extends Error {
  constructor(readonly step: FetchStep, readonly code: number | null, readonly lastLines: readonly string[]) {
    super(`${step.title} failed (exit ${code ?? 'signal'})${lastLines.length ? `: ${lastLines.join(' · ')}` : ''}`);
    this.name = 'FetchError';
  }
}

/**
 * Runs the steps in order on the host, line by line to `onLine` (progress bars' carriage-return updates become
 * lines), without a time limit (tens of GB) but stoppable through `signal`; throws FetchError on the first failure.
 * Only the last 20 lines are kept for the error, whatever the command prints.
 */
export async function runFetchSteps(runner: CommandRunner, steps: readonly FetchStep[], o: { onLine?: (step: FetchStep, line: string) => void; signal?: AbortSignal } = {}): Promise<void> {
  for (const step of steps) {
    const last: string[] = [];
    let partial = '';
    const feed = (s: string): void => {
      const parts = (partial + s).split(/\r\n|\r|\n/);
      partial = parts.pop() ?? '';
      if (partial.length > 64 * 1024) partial = partial.slice(-64 * 1024);
      for (const line of parts) {
        if (!line.trim()) continue;
        last.push(line);
        if (last.length > 20) last.shift();
        o.onLine?.(step, line);
      }
    };
    const r = await runner.exec(step.argv, { onStdout: feed, onStderr: feed, timeoutMs: 0, signal: o.signal });
    feed('\n');
    if (o.signal?.aborted) throw new FetchError(step, r.code, ['cancelled']);
    if (r.code !== 0) throw new FetchError(step, r.code, last.slice(-5));
  }
}
