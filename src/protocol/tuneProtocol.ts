import * as z from 'zod/mini';
import type { SloCheck, TuneCandidate, TuneResult, TuneRun } from '../core/tune/tuneResult';
import type { TunePoint } from '../core/tune/paretoFront';

export type { SloCheck, TuneCandidate, TuneResult, TuneRun, TunePoint };

/**
 * Messages between the tuning results panel (src/vscode/tune/tuneResultsPanel.ts) and its webview (webview/tune/main.ts).
 * The host sends the saved tune.json as it is plus what it derived (the Pareto front, the profile "Apply" writes to);
 * the webview only draws and asks.
 */

/** What the panel shows: one tuning run, live while it runs. */
export interface TuneView {
  readonly result: TuneResult;
  /** The tune.json it was read from (absolute), when saved. */
  readonly file?: string;
  /** Every run with a per-user speed, and which of them form the front (indices into `points`, by increasing x). */
  readonly points: readonly TunePoint[];
  readonly front: readonly number[];
  /** The profile "Apply to profile" writes (workspace-relative for display), or why it cannot. */
  readonly applyTarget: { readonly file: string } | { readonly unavailable: string };
  /** True while the run is in progress in this window (the Apply button waits for the end). */
  readonly live: boolean;
}

export type HostToTune =
  | { type: 'tune'; view: TuneView }
  | { type: 'progress'; text: string }
  | { type: 'applied'; file: string; changed: string[] };

export const TuneToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** Write the candidate's settings into the base profile (the chosen one unless the user picked another row). */
  z.object({ type: z.literal('apply'), candidateId: z.string() }),
  /** Show a candidate's benchmark runs in the benchmark results panel. */
  z.object({ type: z.literal('openRuns'), candidateId: z.string() }),
  z.object({ type: z.literal('rendered'), candidates: z.int(), points: z.int(), front: z.int(), charts: z.int() }),
]);
export type TuneToHost = z.infer<typeof TuneToHost>;

/** A configuration in words, from its search-space values ("parallel tp8 · maxNumSeqs 128"); the id when it has none. */
export const candidateLabel = (c: Pick<TuneCandidate, 'id' | 'params'>): string => Object.entries(c.params).map(([k, v]) => `${k} ${String(v)}`).join(' · ') || c.id;
