import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeFileName, saveResultFile } from '../bench/resultFiles';
import { readJsonFile } from '../util/jsonFile';
import { emptySamples, type PointSamples } from './sloStats';
import { tuningRunDir, type TuneResult } from './tuneResult';

/** The folder of one tuning run and what was saved there before (when resuming). */
export interface TuneStore {
  readonly runId: string;
  readonly dir: string;
  readonly previous: TuneResult | undefined;
  saveResult(r: TuneResult, secrets: ReadonlyArray<string | undefined>): void;
  /** Saves one benchmark run's result JSON under runs/; returns its path relative to the run folder. */
  saveRun(runId: string, result: unknown, secrets: ReadonlyArray<string | undefined>, format: (r: unknown) => string): string;
  /** Per-request samples of a saved run (from its detailed result file), for pooling repeats after a resume. */
  loadSamples(resultFile: string): PointSamples;
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/**
 * Opens `<root>/.deepseek/tuning/<runId>/`: a new run folder (`<name>-YYYYMMDD-HHMMSS`, UTC), or with `resume` the
 * given run or else the newest run of this spec name. Throws when there is nothing to resume.
 */
export function openTuneStore(rootDir: string, specName: string, resume: boolean | { readonly runId: string } | undefined, now = new Date()): TuneStore {
  const base = path.join(rootDir, tuningRunDir(''));
  let runId: string;
  if (resume) {
    if (typeof resume === 'object') runId = safeFileName(resume.runId);
    else {
      const runs = fs.existsSync(base) ? fs.readdirSync(base).filter((n) => n.startsWith(`${specName}-`) && fs.existsSync(path.join(base, n, 'tune.json'))).sort() : [];
      if (!runs.length) throw new Error(`nothing to resume: no run of "${specName}" under ${base}`);
      runId = runs[runs.length - 1];
    }
  } else {
    runId = `${specName}-${stamp(now)}`;
    for (let i = 2; fs.existsSync(path.join(base, runId)); i++) runId = `${specName}-${stamp(now)}-${i}`;
  }
  const dir = path.join(base, runId);
  const previous = resume ? readJsonFile<TuneResult | undefined>(path.join(dir, 'tune.json'), undefined) : undefined;
  if (resume && !previous) throw new Error(`nothing to resume: ${path.join(dir, 'tune.json')} is missing or unreadable`);
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
  return {
    runId,
    dir,
    previous,
    saveResult: (r, secrets) => void saveResultFile(path.join(dir, 'tune.json'), r, secrets, 'tune.json', { pretty: true }),
    saveRun: (id, result, secrets, format) => {
      const name = safeFileName(`${id.replace(/\//g, '_')}.json`);
      const written = saveResultFile(path.join(dir, 'runs', name), result, secrets, name, { format });
      return path.relative(dir, written);
    },
    loadSamples: (file) => samplesFromResult(readJsonFile<Record<string, unknown>>(path.join(dir, file), {})),
  };
}

const nums = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);

/**
 * Per-request samples (ms) from a detailed benchmark result (vLLM's keys: ttfts, itls, latencies, output_lens, errors
 * in seconds), TTFO from deepseek_deploy.reasoning_per_request (E2EL − answer time).
 */
export function samplesFromResult(r: Record<string, unknown>): PointSamples {
  const s = emptySamples();
  const ttfts = nums(r.ttfts);
  const lat = nums(r.latencies);
  const outs = nums(r.output_lens);
  const errors = Array.isArray(r.errors) ? r.errors : [];
  const itls = Array.isArray(r.itls) ? r.itls : [];
  for (let i = 0; i < lat.length; i++) {
    if (typeof errors[i] === 'string' && errors[i] !== '') {
      s.failed++;
      continue;
    }
    if (!(lat[i] > 0)) continue;
    s.ttft.push(ttfts[i] * 1000);
    s.e2el.push(lat[i] * 1000);
    if (outs[i] > 1) s.tpot.push(((lat[i] - ttfts[i]) * 1000) / (outs[i] - 1));
    for (const g of nums(itls[i])) s.itl.push(g * 1000);
  }
  const dd = r.deepseek_deploy as { reasoning_per_request?: Array<{ index: number; answerMs: number }> } | undefined;
  for (const p of dd?.reasoning_per_request ?? []) if (lat[p.index] > 0) s.ttfo.push(lat[p.index] * 1000 - p.answerMs);
  return s;
}
