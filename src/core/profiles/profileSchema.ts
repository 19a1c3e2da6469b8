import { z } from 'zod';

/**
 * A deployment profile (`*.deepseek.yaml`): what to run (engine, model, parallelism, knobs) and where (host, runtime).
 * Secrets never live here: the HF token comes from SecretStorage (or HF_TOKEN for the CLI) at launch time.
 */
const port = z.number().int().min(1).max(65535);
const size = z.string().regex(/^\d+(\.\d+)?[kKmMgGtT]?[bB]?$/, 'expected a size like 32g or 16G');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _');
const forbiddenSecretEnv = (env: Record<string, string>): boolean => !Object.keys(env).some((k) => /^(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_HUB_TOKEN)$/i.test(k));

export const EngineSchema = z.object({
  kind: z.enum(['vllm', 'sglang', 'simulator']).describe('vllm, sglang, or simulator (no GPU: the built-in DeepSeek-R1 simulator)'),
  /** The release to run; selects flag spellings (e.g. --enable-reasoning before vLLM 0.10) and the image tag. */
  version: z.string().regex(/^v?\d+\.\d+(\.\d+)?([.-]?\w+)?$/, 'expected a release like 0.9.0').optional(),
  image: z.string().min(1).optional().describe('container image (default vllm/vllm-openai:v<version> or lmsysorg/sglang:v<version>)'),
  /** Which engine the simulator imitates. */
  imitates: z.enum(['vllm', 'sglang']).optional(),
}).strict();

export const ModelSchema = z.object({
  id: z.string().min(1).describe('Hugging Face id or a path on the host, e.g. deepseek-ai/DeepSeek-R1'),
  servedModelName: z.string().min(1).optional(),
  revision: z.string().optional(),
}).strict();

export const ParallelSchema = z.object({
  tp: z.number().int().min(1).default(8),
  dp: z.number().int().min(1).default(1),
  pp: z.number().int().min(1).default(1),
  expertParallel: z.boolean().default(false),
  /** SGLang --enable-dp-attention (vLLM's DP is attention-DP already). */
  dpAttention: z.boolean().default(false),
  nodes: z.number().int().min(1).default(1),
}).strict();

export const KnobsSchema = z.object({
  port: port.default(8000),
  maxModelLen: z.number().int().min(1).optional(),
  maxNumSeqs: z.number().int().min(1).optional(),
  maxNumBatchedTokens: z.number().int().min(1).optional(),
  gpuMemoryUtilization: z.number().gt(0).max(1).optional(),
  kvCacheDtype: z.enum(['auto', 'fp8']).optional(),
  enforceEager: z.boolean().optional(),
  trustRemoteCode: z.boolean().default(true),
  reasoningParser: z.boolean().default(true).describe('split <think> reasoning into its own field'),
  disablePrefixCaching: z.boolean().optional(),
  apiKeySecret: z.string().optional().describe('name of a SecretStorage entry holding the server API key'),
  extraArgs: z.array(z.string()).default([]),
}).strict();

const docker = z.object({
  kind: z.literal('docker'),
  network: z.enum(['host', 'bridge']).default('host'),
  shmSize: size.default('32g'),
  gpus: z.string().default('all').describe('"all" or a device list like "0,1,2,3"'),
  hfCache: z.string().default('~/.cache/huggingface'),
  containerName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).optional(),
}).strict();

const compose = z.object({
  kind: z.literal('compose'),
  shmSize: size.default('32g'),
  gpus: z.string().default('all'),
  hfCache: z.string().default('~/.cache/huggingface'),
  project: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'compose project names are lowercase letters, digits, - and _').optional(),
  directory: z.string().default('~/.deepseek-deploy/compose'),
}).strict();

const slurm = z.object({
  kind: z.literal('slurm'),
  partition: z.string().optional(),
  account: z.string().optional(),
  gpusPerNode: z.number().int().min(1).default(8),
  cpusPerTask: z.number().int().min(1).optional(),
  mem: size.optional(),
  time: z.string().regex(/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/, 'expected a SLURM time like 03-00:00:00 or 4:00:00').optional(),
  constraint: z.string().optional(),
  exclusive: z.boolean().default(false),
  /** How ranks on several nodes join: Ray (vLLM's seed 002 recipe) or the engine's own multi-node flags. */
  multiNode: z.enum(['ray', 'native']).default('ray'),
  container: z.enum(['none', 'docker']).default('none'),
  workdir: z.string().default('~/.deepseek-deploy/slurm'),
}).strict();

const processRt = z.object({
  kind: z.literal('process'),
  workdir: z.string().default('~/.deepseek-deploy/run'),
}).strict();

export const RuntimeSchema = z.discriminatedUnion('kind', [docker, compose, slurm, processRt]);

export const ProfileSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ".", "-" and "_" (used in container and job names)'),
  description: z.string().optional(),
  host: z.string().min(1).default('local').describe('"local", an ~/.ssh/config alias, or user@host[:port]'),
  engine: EngineSchema,
  model: ModelSchema,
  parallel: ParallelSchema.default({ tp: 8, dp: 1, pp: 1, expertParallel: false, dpAttention: false, nodes: 1 }),
  knobs: KnobsSchema.default({ port: 8000, trustRemoteCode: true, reasoningParser: true, extraArgs: [] }),
  env: z.record(envName, z.string()).default({}).refine(forbiddenSecretEnv, 'do not put the HF token in a profile: it is read from secret storage and written to the host\'s token file'),
  runtime: RuntimeSchema,
  /** Launch even when the planner is certain the model does not fit (e.g. the catalog is wrong about a checkpoint). */
  allowMisfit: z.boolean().default(false),
}).strict();

export type Profile = z.output<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;
export type Runtime = Profile['runtime'];

/** JSON Schema for YAML completion (yaml-language-server / redhat.vscode-yaml), generated from the same schema. */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ProfileSchema, { io: 'input' });
}
