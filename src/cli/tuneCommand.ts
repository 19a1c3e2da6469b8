import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from './cliArgs';
import { cliDeps, type Remote } from './profileCommands';
import { ProfileError } from '../core/profiles/profileYaml';
import type { Profile } from '../core/profiles/profileSchema';
import { loadTuneBase } from '../core/tune/tuneApi';
import { parseTuneSpecYaml, tuneSpecJsonSchema, type TuneSpec } from '../core/tune/tuneSpec';
import { runTune } from '../core/tune/runTune';
import { TUNE_EXAMPLE } from '../core/tune/tuneExample';
import { tuningRunDir, type TuneCandidate, type TuneProgress, type TuneResult } from '../core/tune/tuneResult';

export const TUNE_HELP = `usage: deepseek-deploy tune SPEC.tune.yaml [--json] [--resume [--run-id ID]] [--hf-token-env VAR]
                            [--ssh-config FILE] [--known-hosts FILE] [--accept-new]
       deepseek-deploy tune --example

Finds the serve settings that meet your SLOs best on your GPUs. The planner rejects configurations that cannot fit
(never launched); each other one is launched through the launch pipeline, warmed up, and driven at doubling load,
then bisected, to the highest request rate or concurrency meeting every SLO (a point is re-run until its statistic is
known at the spec's confidence). Every run is saved as a normal benchmark result under
${tuningRunDir('<run-id>')}/runs/, the whole run as ${tuningRunDir('<run-id>')}/tune.json (in this directory).
Power is sampled with nvidia-smi over the same connection: J per output token; $/Mtok from pricePerGpuHour.
Ctrl-C stops the search and the server it started (a second Ctrl-C exits at once); --resume continues the newest run
of the spec (or --run-id ID) without repeating a finished run, adopting or stopping a server a killed run left.
--json prints the result ({candidates: [{params, fits, maxLoadMeetingSlo, goodputPerGpu, outputTokPerSecPerGpu,
usdPerMTokOutput, usdPerMTokTotal, joulesPerOutputToken, runs, …}], best, bestReason, …}).
--example prints a small spec against the built-in simulator (a few minutes on a laptop).
`;

const SPEC = { flags: ['--json', '--resume', '--example', '--accept-new'], values: ['--run-id', '--hf-token-env', '--ssh-config'], repeatable: ['--known-hosts'], positionals: 1 } as const;

/** The tuning spec's JSON Schema (written to dist/deepseek-tune.schema.json at build time). */
export function tuneSpecSchemaJson(): Record<string, unknown> {
  return tuneSpecJsonSchema();
}

const num = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined ? '-' : x >= 1000 ? x.toFixed(0) : x.toFixed(digits));

/** The results table (one row per candidate) and the chosen configuration, as the CLI prints them. */
export function tuneTable(r: TuneResult): string {
  const cols = ['ID', 'PARAMS', 'FITS', 'STATUS', 'MAX LOAD', 'GOODPUT/GPU', 'TOK/S/GPU', '$/MTOK OUT', '$/MTOK ALL', 'J/TOK', 'RUNS'];
  const rows = r.candidates.map((c: TuneCandidate) => [
    c.id, Object.entries(c.params).map(([k, v]) => `${k}=${v === null ? 'none' : String(v)}`).join(' '), c.fits ? 'yes' : 'no', c.status,
    c.maxLoadMeetingSlo ? `${c.maxLoadMeetingSlo.kind === 'rate' ? 'rate' : 'conc'} ${c.maxLoadMeetingSlo.value}` : '-',
    num(c.goodputPerGpu, 3), num(c.outputTokPerSecPerGpu), num(c.usdPerMTokOutput), num(c.usdPerMTokTotal), num(c.joulesPerOutputToken, 3), String(c.runs.length),
  ]);
  const w = cols.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (x: string[]): string => x.map((v, i) => v.padEnd(w[i])).join('  ').trimEnd();
  const out = [line(cols), ...rows.map(line)];
  for (const c of r.candidates) if (!c.fits) out.push(`  ${c.id}: ${c.fitReason}`);
  for (const c of r.candidates) if (c.error) out.push(`  ${c.id}: ${c.error}`);
  out.push('');
  out.push(r.best ? `chosen: ${r.best.id} (${r.best.profileName}) ${Object.entries(r.best.params).map(([k, v]) => `${k}=${v === null ? 'none' : String(v)}`).join(' ')}` : 'chosen: none');
  out.push(`why: ${r.bestReason}`);
  out.push(`state: ${r.state}; ${r.launches} launch(es); wall ${r.timing.wallS.toFixed(1)} s (launch ${r.timing.launchS.toFixed(1)} s, benchmark ${r.timing.benchS.toFixed(1)} s, tuner ${r.timing.overheadS.toFixed(1)} s)${r.simulated ? '; SIMULATED engine' : ''}`);
  return `${out.join('\n')}\n`;
}

function progressLine(p: TuneProgress): string | undefined {
  switch (p.kind) {
    case 'plan': return `${p.candidates} configurations, ${p.fitting} fit (the others are not launched)`;
    case 'launch': return `[${p.candidate}] ${p.detail}`;
    case 'ready': return `[${p.candidate}] ${p.adopted ? 'adopted' : 'ready'} at ${p.url}`;
    case 'run': {
      const r = p.run;
      return `[${p.candidate}] ${r.load.kind} ${r.load.value}${r.repeat ? ` (repeat ${r.repeat})` : ''}: ${r.sloPass ? 'meets' : 'misses'} the SLOs (${r.slo.map((s) => `${s.stat} ${s.metric} ${s.valueMs === null ? '-' : s.valueMs.toFixed(1)}/${s.maxMs} ms`).join(', ')}), ${r.outputTokPerSecPerGpu.toFixed(1)} tok/s/GPU${p.reused ? ' [saved run]' : ''}`;
    }
    case 'candidate': return `[${p.candidate.id}] ${p.candidate.status}: max ${p.candidate.maxLoadMeetingSlo ? `${p.candidate.maxLoadMeetingSlo.kind} ${p.candidate.maxLoadMeetingSlo.value}` : 'none'}`;
    case 'note': return p.message;
  }
}

/** `deepseek-deploy tune`: exit 0 when the search finished (with or without a best), 1 on failure, 130 when cancelled. */
export async function runTuneCli(argv: string[], loadRemote: () => Remote): Promise<number> {
  const args = parseArgs(argv, SPEC);
  const err = (s: string): boolean => process.stderr.write(s);
  if ('error' in args) {
    err(`deepseek-deploy tune: ${args.error}\n\n${TUNE_HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(TUNE_HELP);
    return 0;
  }
  if (args.flags.has('--example')) {
    process.stdout.write(TUNE_EXAMPLE);
    return 0;
  }
  const file = args.positionals[0];
  if (!file) {
    err(`deepseek-deploy tune: give a spec file (deepseek-deploy tune --example prints one)\n\n${TUNE_HELP}`);
    return 2;
  }
  const specFile = path.resolve(file);
  let spec: TuneSpec;
  let base: { profile: Profile; file?: string };
  try {
    spec = parseTuneSpecYaml(fs.readFileSync(specFile, 'utf8'), file);
    base = await loadTuneBase(spec, specFile);
  } catch (e) {
    err(e instanceof ProfileError ? `${e.message}\n` : `deepseek-deploy tune: ${(e as Error).message}\n`);
    return 2;
  }
  const disposers: Array<() => void> = [];
  const deps = cliDeps({ acceptNew: args.flags.has('--accept-new'), knownHosts: args.lists.get('--known-hosts') ?? [], sshConfig: args.values.get('--ssh-config') }, loadRemote, disposers);
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    err('cancelling: stopping the server this run started (Ctrl-C again exits at once)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const runId = args.values.get('--run-id');
    const result = await runTune(spec, {
      pipeline: deps, baseProfile: base.profile, baseProfileFile: base.file, specFile, rootDir: process.cwd(),
      hfToken: process.env[args.values.get('--hf-token-env') ?? 'HF_TOKEN'] || undefined,
    }, {
      signal: ac.signal,
      resume: args.flags.has('--resume') ? (runId ? { runId } : true) : undefined,
      onProgress: (p) => {
        const l = progressLine(p);
        if (l) err(`${l}\n`);
      },
    });
    process.stdout.write(args.flags.has('--json') ? `${JSON.stringify(result, null, 2)}\n` : tuneTable(result));
    err(`saved: ${path.join(tuningRunDir(result.runId), 'tune.json')}\n`);
    return result.state === 'cancelled' ? 130 : 0;
  } catch (e) {
    err(`deepseek-deploy tune: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    for (const d of disposers) d();
  }
}
