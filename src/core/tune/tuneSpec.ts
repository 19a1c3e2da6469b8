import { z } from 'zod';
import { ProfileSchema } from '../profiles/profileSchema';
import { ProfileError, parseYamlWithSchema } from '../profiles/profileYaml';

/**
 * A tuning spec (`*.tune.yaml`): which profile to start from, which serve parameters to vary, the workload and load
 * search, the SLOs, what "best" means and what it may cost. Validated by zod; parseTuneSpecYaml points every problem
 * at its field and line (the same way profiles do, profileYaml.ts).
 */

const sloMetric = z.enum(['ttft', 'tpot', 'itl', 'e2el', 'ttfo']).describe('TTFT, TPOT, ITL, E2EL (vLLM definitions) or TTFO (first answer token after thinking)');
const sloStat = z.enum(['p99', 'p95', 'p90', 'p50', 'mean']);

export const SloSchema = z.object({
  metric: sloMetric,
  stat: sloStat.default('p99'),
  maxMs: z.number().positive().describe('the statistic must be at most this many milliseconds'),
}).strict();

/** A parallel layout: TP only, or DP+EP (vLLM --data-parallel-size with --enable-expert-parallel), as in seed 003. */
export const LayoutSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.+-]+$/, 'letters, digits and _ . + - (it appears in tables and run ids)').optional(),
  tp: z.number().int().min(1).default(8),
  dp: z.number().int().min(1).default(1),
  pp: z.number().int().min(1).default(1),
  expertParallel: z.boolean().default(false),
  dpAttention: z.boolean().default(false),
  nodes: z.number().int().min(1).default(1),
}).strict();

/** Speculative decoding: a method and its number of draft tokens (vLLM --speculative-config; SGLang --speculative-*). */
export const SpeculativeSchema = z.object({
  method: z.string().regex(/^[A-Za-z0-9_]+$/, 'a method name like mtp, deepseek_mtp or eagle'),
  numSpeculativeTokens: z.number().int().min(1).max(16),
}).strict();

const values = <T extends z.ZodTypeAny>(t: T) => z.array(t).min(1, 'give at least one value');

export const SearchSpaceSchema = z.object({
  parallel: values(LayoutSchema).optional().describe('parallel layouts to try (TP vs DP+EP …)'),
  maxNumSeqs: values(z.number().int().min(1)).optional(),
  maxNumBatchedTokens: values(z.number().int().min(1)).optional(),
  gpuMemoryUtilization: values(z.number().gt(0).max(1)).optional(),
  kvCacheDtype: values(z.enum(['auto', 'fp8'])).optional(),
  maxModelLen: values(z.number().int().min(1)).optional(),
  speculative: values(SpeculativeSchema.nullable()).optional().describe('null = no speculative decoding'),
  /** Any other engine flag: true adds the bare flag, false leaves it out, a string or number is its value. */
  flags: z.record(z.string(), values(z.union([z.string(), z.number(), z.boolean()]))).optional(),
}).strict().superRefine((s, ctx) => {
  for (const f of Object.keys(s.flags ?? {})) {
    if (!/^--[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(f)) ctx.addIssue({ code: 'custom', path: ['flags', f], message: `"${f}" is not an engine flag (like --block-size)` });
    else if (/^--(host|api-key|port)$/.test(f)) ctx.addIssue({ code: 'custom', path: ['flags', f], message: 'the bind address, port and API key come from the profile, not the search space' });
  }
});

export const WorkloadSchema = z.object({
  /** A benchmark preset (src/core/bench/presets.ts): its first run's lengths and prompt count are the defaults. */
  preset: z.string().optional(),
  /** A prompt file instead of random token prompts (vLLM's sharegpt or custom JSONL datasets); path relative to the spec. */
  dataset: z.object({
    name: z.enum(['sharegpt', 'custom']),
    path: z.string().min(1),
  }).strict().optional(),
  inputLen: z.number().int().min(1).optional(),
  outputLen: z.number().int().min(1).optional(),
  rangeRatio: z.number().min(0).lt(1).default(0),
  prefixLen: z.number().int().min(0).default(0),
  /** Requests per measured point; with promptsPerUnitLoad the larger of the two. */
  numPrompts: z.number().int().min(1).optional(),
  /** Requests per unit of load (per req/s of rate or per concurrent request), so high loads run long enough. */
  promptsPerUnitLoad: z.number().min(0).default(4),
  backend: z.enum(['openai', 'openai-chat']).default('openai'),
  thinking: z.enum(['off', 'on', 'high', 'max']).optional().describe('chat thinking mode (needs backend openai-chat)'),
  seed: z.number().int().min(0).default(0),
  warmups: z.number().int().min(0).default(2).describe('warm-up requests after each launch, not measured'),
}).strict().superRefine((w, ctx) => {
  if (w.thinking && w.backend !== 'openai-chat') ctx.addIssue({ code: 'custom', path: ['thinking'], message: 'a thinking mode needs backend: openai-chat (only chat requests go through the chat template)' });
  if (w.preset && w.dataset) ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'give either preset or dataset, not both' });
});

export const LoadSearchSchema = z.object({
  kind: z.enum(['rate', 'concurrency']).default('concurrency').describe('search over request rate (req/s) or concurrency'),
  start: z.number().positive().default(1),
  max: z.number().positive().default(1024),
  /** Bisection stops at this step: rate: relative (default 0.1 = 10%); concurrency: whole requests (default 1). */
  resolution: z.number().positive().optional(),
  /** At most this many distinct load points per configuration (doubling + bisection), repeats not counted. */
  maxPoints: z.number().int().min(1).default(12),
}).strict().superRefine((l, ctx) => {
  if (l.max < l.start) ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${l.max}) is below start (${l.start})` });
  if (l.kind === 'concurrency' && !Number.isInteger(l.start)) ctx.addIssue({ code: 'custom', path: ['start'], message: 'a concurrency is a whole number' });
  if (l.kind === 'concurrency' && l.resolution !== undefined && !Number.isInteger(l.resolution)) ctx.addIssue({ code: 'custom', path: ['resolution'], message: 'for concurrency the resolution is a whole number of requests' });
});

export const ConfidenceSchema = z.object({
  level: z.number().gt(0.5).lt(1).default(0.95),
  /** A point is decided once each SLO statistic's interval is within ±relativeWidth of it, or clearly on one side. */
  relativeWidth: z.number().positive().default(0.1),
  maxRepeats: z.number().int().min(0).default(2).describe('extra runs of one point to narrow the interval'),
}).strict();

export const TuneSpecSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ".", "-" and "_" (used in run ids and profile names)'),
  description: z.string().optional(),
  /** Exactly one of: a profile file (relative to the spec), a launch preset id, or the profile inline. */
  base: z.object({
    profile: z.string().optional().describe('a *.deepseek.yaml file, relative to this spec'),
    preset: z.string().optional(),
    inline: ProfileSchema.optional(),
  }).strict().refine((b) => [b.profile, b.preset, b.inline].filter((x) => x !== undefined).length === 1, 'give exactly one of profile, preset or inline'),
  host: z.string().min(1).refine((s) => !s.startsWith('-'), 'host must not start with "-"').optional().describe('overrides the profile\'s host'),
  /** GPUs per node the planner assumes when the host probe finds none (always for the simulator, which also gets it as --gpus). */
  gpus: z.string().regex(/^\d+x[A-Za-z0-9-]+$/, 'expected a spec like 8xH200-141GB').optional(),
  /** The simulator's options (only for engine: simulator). */
  simulator: z.object({
    speed: z.number().positive().default(1),
    startupSpeed: z.number().positive().optional(),
  }).strict().optional(),
  search: SearchSpaceSchema.default({}),
  workload: WorkloadSchema.default({ rangeRatio: 0, prefixLen: 0, promptsPerUnitLoad: 4, backend: 'openai', seed: 0, warmups: 2 }),
  load: LoadSearchSchema.default({ kind: 'concurrency', start: 1, max: 1024, maxPoints: 12 }),
  slo: z.array(SloSchema).min(1, 'give at least one SLO (e.g. {metric: ttft, stat: p99, maxMs: 2000})'),
  confidence: ConfidenceSchema.default({ level: 0.95, relativeWidth: 0.1, maxRepeats: 2 }),
  objective: z.enum(['goodputPerGpu', 'outputTokPerSecPerGpu', 'usdPerMTok']).default('goodputPerGpu'),
  pricePerGpuHour: z.number().min(0).default(0).describe('$ per GPU-hour, for $/Mtok'),
  budget: z.object({
    maxWallTimeS: z.number().positive().optional(),
    maxLaunches: z.number().int().min(1).optional(),
  }).strict().default({}),
  energy: z.object({
    enabled: z.boolean().default(true),
    intervalMs: z.number().int().min(50).default(500).describe('nvidia-smi power.draw sampling period'),
  }).strict().default({ enabled: true, intervalMs: 500 }),
}).strict().superRefine((t, ctx) => {
  t.slo.forEach((s, i) => {
    if (s.metric === 'ttfo' && t.workload.backend !== 'openai-chat') ctx.addIssue({ code: 'custom', path: ['slo', i, 'metric'], message: 'TTFO (first answer token after thinking) needs workload.backend: openai-chat' });
  });
});

export type TuneSpec = z.output<typeof TuneSpecSchema>;
export type TuneSpecInput = z.input<typeof TuneSpecSchema>;

/** JSON Schema of tuning specs for YAML completion (*.tune.yaml), generated from the same schema. */
export function tuneSpecJsonSchema(): Record<string, unknown> {
  return { title: 'DeepSeek Deploy tuning spec', ...z.toJSONSchema(TuneSpecSchema, { io: 'input' }) };
}

/** Bad tuning spec: every issue names its field and line (a ProfileError, so callers print both alike). */
export class TuneSpecError extends ProfileError {
  override name = 'TuneSpecError';
}

/** Parses and validates a tuning spec; throws only TuneSpecError, each issue with its field and line. */
export function parseTuneSpecYaml(text: string, file = 'spec.tune.yaml'): TuneSpec {
  return parseYamlWithSchema(TuneSpecSchema, text, file, (f, issues) => new TuneSpecError(f, issues));
}
