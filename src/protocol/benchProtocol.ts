import * as z from 'zod/mini';

/** One run in the results panel: the saved result (vLLM's JSON keys + deepseek_deploy) and samples for the charts. */
export interface RunView {
  readonly id: string;
  readonly name: string;
  readonly file?: string;
  readonly result: Record<string, unknown>;
  /** Per-request TTFTs and ITL samples in ms (at most a few thousand each, evenly sampled) for distribution charts. */
  readonly ttftsMs?: number[];
  readonly itlsMs?: number[];
}

export type HostToBench =
  | { type: 'runs'; runs: RunView[]; title: string }
  | { type: 'progress'; text: string };

export const BenchToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('export'), format: z.enum(['json', 'csv', 'markdown']) }),
  z.object({ type: z.literal('addRuns') }),
  z.object({ type: z.literal('rendered'), runs: z.int(), charts: z.int() }),
]);
export type BenchToHost = z.infer<typeof BenchToHost>;
