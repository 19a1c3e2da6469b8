import { z } from 'zod';
import { unsafeCharIn } from '../security/textSafety';

/**
 * A deployment profile (`*.deepseek.yaml`): what to run (engine, model, parallelism, knobs) and where (host, runtime).
 * Secrets never live here: the HF token comes from SecretStorage (or HF_TOKEN for the CLI) at launch time.
 */
const port = z.number().int().min(1).max(65535);
const size = z.string().regex(/^\d+(\.\d+)?[kKmMgGtT]?[bB]?$/, 'expected a size like 32g or 16G');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _');
/**
 * A value that lands as a positional word or option value on a command line (model id, image, partition…): one that
 * starts with "-" would be read as an option by the engine, docker or sbatch ("option smuggling"), so it is refused.
 */
const positional = (what: string): z.ZodString => z.string().min(1).refine((s) => !s.startsWith('-'), `${what} must not start with "-" (it would be read as an option)`);
/** A path on the host; "~/" means the remote home. ":" and "," would change a docker/compose volume spec. */
const hostPath = (what: string, def: string) => positional(what).refine((s) => !/[:,]/.test(s), `${what} must not contain ":" or "," (they separate fields of a volume mount)`).default(def);
/** sbatch directive values: SLURM names (partition, account) and constraint expressions, nothing a parser re-reads. */
const slurmName = (what: string) => positional(what).regex(/^[A-Za-z0-9_.,+-]+$/, `${what}: letters, digits, "_", ".", ",", "+" and "-" only (it becomes an #SBATCH directive)`);
const forbiddenSecretEnv = (env: Record<string, string>): boolean => !Object.keys(env).some((k) => /^(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_HUB_TOKEN)$/i.test(k));

export const EngineSchema = z.object({
  kind: z.enum(['vllm', 'sglang', 'simulator']).describe('vllm, sglang, or simulator (no GPU: the built-in DeepSeek-R1 simulator)'),
  /** The release to run; selects flag spellings (e.g. --enable-reasoning before vLLM 0.10) and the image tag. */
  version: z.string().regex(/^v?\d+\.\d+(\.\d+)?([.-]?\w+)?$/, 'expected a release like 0.9.0').optional(),
  image: positional('engine.image').regex(/^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$/, 'engine.image: an image reference like vllm/vllm-openai:v0.9.0').optional().describe('container image (default vllm/vllm-openai:v<version> or lmsysorg/sglang:v<version>)'),
  /** Which engine the simulator imitates. */
  imitates: z.enum(['vllm', 'sglang']).optional(),
}).strict();

export const ModelSchema = z.object({
  id: positional('model.id').refine((s) => !s.startsWith('~'), 'model.id: "~" is not expanded in engine arguments (docker and compose pass it literally): give an absolute path').describe('Hugging Face id or a path on the host, e.g. deepseek-ai/DeepSeek-R1'),
  servedModelName: positional('model.servedModelName').optional(),
  revision: positional('model.revision').optional(),
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

/**
 * What a knobs.apiKeySecret name may be: letters, digits and _, so it is also the suffix of the CLI's environment
 * variable DEEPSEEK_DEPLOY_SECRET_<NAME> and the extension's SecretStorage key as it is (src/vscode/launch/serverSecrets.ts).
 */
export const API_KEY_SECRET_NAME = /^[A-Za-z0-9_]+$/;

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
  apiKeySecret: z.string().regex(API_KEY_SECRET_NAME, 'knobs.apiKeySecret: letters, digits and _ (the CLI reads it from $DEEPSEEK_DEPLOY_SECRET_<NAME>)').optional().describe('name of a SecretStorage entry holding the server API key (CLI: env DEEPSEEK_DEPLOY_SECRET_<NAME>)'),
  /**
   * The address the engine binds. Default: 127.0.0.1 for process and docker (reached through the SSH tunnel), the
   * compute node's cluster address for SLURM (the login node must reach it). Anything wider is an explicit choice.
   */
  host: z.string().regex(/^[0-9A-Fa-f:.]+$|^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'knobs.host: an IP address or host name').optional().describe('address the engine binds (default 127.0.0.1; SLURM: the node\'s cluster address); wider binding is reachable by others'),
  extraArgs: z.array(z.string()).default([]).refine((a) => !a.some((w) => /^--(host|api-key)(=|$)/.test(w)), 'knobs.extraArgs: set the bind address with knobs.host and the key with knobs.apiKeySecret, not --host / --api-key (a key on the command line is visible to every user of the host)'),
}).strict();

const docker = z.object({
  kind: z.literal('docker'),
  network: z.enum(['host', 'bridge']).default('host'),
  shmSize: size.default('32g'),
  gpus: z.string().regex(/^(all|\d+(,\d+)*)$/, 'expected "all" or a device list like "0,1,2,3"').default('all').describe('"all" or a device list like "0,1,2,3"'),
  hfCache: hostPath('runtime.hfCache', '~/.cache/huggingface'),
  containerName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).optional(),
}).strict();

const compose = z.object({
  kind: z.literal('compose'),
  shmSize: size.default('32g'),
  gpus: z.string().regex(/^(all|\d+(,\d+)*)$/, 'expected "all" or a device list like "0,1,2,3"').default('all'),
  hfCache: hostPath('runtime.hfCache', '~/.cache/huggingface'),
  project: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'compose project names are lowercase letters, digits, - and _').optional(),
  directory: hostPath('runtime.directory', '~/.deepseek-deploy/compose'),
}).strict();

const slurm = z.object({
  kind: z.literal('slurm'),
  partition: slurmName('runtime.partition').optional(),
  account: slurmName('runtime.account').optional(),
  gpusPerNode: z.number().int().min(1).default(8),
  cpusPerTask: z.number().int().min(1).optional(),
  mem: size.optional(),
  time: z.string().regex(/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/, 'expected a SLURM time like 03-00:00:00 or 4:00:00').optional(),
  /** SLURM constraint expression (features joined by & | , * [ ] ( ) and counts). */
  constraint: positional('runtime.constraint').regex(/^[A-Za-z0-9_.,&|*[\]()!:+-]+$/, 'runtime.constraint: feature names and & | , * [ ] ( ) ! only (it becomes an #SBATCH directive)').optional(),
  exclusive: z.boolean().default(false),
  /** How ranks on several nodes join: Ray (vLLM's seed 002 recipe) or the engine's own multi-node flags. */
  multiNode: z.enum(['ray', 'native']).default('ray'),
  /** Containers inside SLURM jobs (pyxis/enroot) are not implemented: only "none" is accepted, with a clear error. */
  container: z.literal('none', { error: 'runtime.container: containers inside SLURM jobs (pyxis --container-image) are not supported; remove the field (the engine runs from the node\'s environment) or use runtime docker' }).optional(),
  workdir: hostPath('runtime.workdir', '~/.deepseek-deploy/slurm'),
}).strict();

const processRt = z.object({
  kind: z.literal('process'),
  workdir: hostPath('runtime.workdir', '~/.deepseek-deploy/run'),
}).strict();

/** A Kubernetes object name (RFC 1123 label: DNS-1123, at most 63 characters; Services and Helm releases need it). */
const k8sName = (what: string) => z.string().max(63, `${what}: at most 63 characters (a Kubernetes name)`).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${what}: a Kubernetes name (lowercase letters, digits and "-", starting and ending with a letter or digit)`);
/** A label key (optional DNS prefix + "/" + name) and value, as in `kubectl label` (k8s.io/apimachinery validation). */
const labelKey = z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a label key like cloud.google.com/gke-accelerator');
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'a label value: letters, digits, "-", "_" and "." (at most 63)');
/** A resource quantity as Kubernetes writes memory sizes (`32Gi`, `500M`). */
const quantity = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, 'a Kubernetes quantity like 32Gi');

const kubernetes = z.object({
  kind: z.literal('kubernetes'),
  /** The kubeconfig context (default: the current context of the kubeconfig kubectl finds on the host running it). */
  context: positional('runtime.context').regex(/^[A-Za-z0-9_.:@/-]+$/, 'runtime.context: a kubeconfig context name').optional().describe('kubeconfig context (default: the current one)'),
  /** A kubeconfig file on the host that runs kubectl ("local" or the SSH jump box); default: $KUBECONFIG or ~/.kube/config. */
  kubeconfig: positional('runtime.kubeconfig').refine((s) => !/[:,]/.test(s), 'runtime.kubeconfig: one file (no ":" list)').optional(),
  namespace: k8sName('runtime.namespace').default('default'),
  /** The Helm release name (default dsd-<profile name>, lowercased). */
  release: k8sName('runtime.release').max(53, 'runtime.release: Helm release names are at most 53 characters').optional(),
  /** The extended resource the GPUs are advertised as by the device plugin (`kubectl describe node`: Allocatable). */
  gpuResource: labelKey.default('nvidia.com/gpu').describe('GPU extended resource, e.g. nvidia.com/gpu or amd.com/gpu'),
  /** GPUs each pod requests (default: the profile's world size divided by its nodes). */
  gpusPerPod: z.number().int().min(0).optional(),
  nodeSelector: z.record(labelKey, labelValue).default({}),
  tolerations: z.array(z.object({
    key: labelKey.optional(),
    operator: z.enum(['Exists', 'Equal']).default('Equal'),
    value: labelValue.optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  }).strict()).default([]),
  priorityClassName: k8sName('runtime.priorityClassName').optional(),
  /** A docker-registry Secret in the namespace for private images (not created by us). */
  imagePullSecret: k8sName('runtime.imagePullSecret').optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  /** /dev/shm as a memory emptyDir of this size (NCCL and the engines' worker processes need more than 64 MiB). */
  shmSize: quantity.default('32Gi'),
  /** Where the Hugging Face cache lives: a PersistentVolumeClaim (kept between releases), a node path, or per pod. */
  hfCache: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('pvc'), claimName: k8sName('runtime.hfCache.claimName') }).strict(),
    z.object({ kind: z.literal('hostPath'), path: z.string().regex(/^\/[^:,]*$/, 'runtime.hfCache.path: an absolute path on the node') }).strict(),
    z.object({ kind: z.literal('emptyDir') }).strict(),
  ]).default({ kind: 'emptyDir' }),
  /** nodes > 1: LeaderWorkerSet when the cluster serves leaderworkerset.x-k8s.io (API discovery), else a StatefulSet. */
  multiNode: z.enum(['auto', 'leaderworkerset', 'statefulset']).default('auto'),
  /**
   * How ranks > 0 find rank 0 (nodes > 1): "dns" = the headless Service's DNS name (LWS: LWS_LEADER_ADDRESS);
   * "podIP" for clusters without cluster DNS = rank 0's pod IP, which the product writes into the release's
   * ConfigMap while the launch starts; a fixed leaderAddress overrides both.
   */
  leaderDiscovery: z.enum(['dns', 'podIP']).default('dns'),
  /** A fixed leader address (host or IP) for clusters where neither DNS nor the pod IP will do. */
  leaderAddress: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'runtime.leaderAddress: a host name or IP address').optional(),
  /** The chart on the host running helm (default: the chart shipped with DeepSeek Deploy, copied there). */
  chart: positional('runtime.chart').optional(),
}).strict();

export const RuntimeSchema = z.discriminatedUnion('kind', [docker, compose, slurm, processRt, kubernetes]);

export const ProfileSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ".", "-" and "_" (used in container and job names)'),
  description: z.string().optional(),
  host: positional('host').default('local').describe('"local", an ~/.ssh/config alias, or user@host[:port]'),
  engine: EngineSchema,
  model: ModelSchema,
  parallel: ParallelSchema.default({ tp: 8, dp: 1, pp: 1, expertParallel: false, dpAttention: false, nodes: 1 }),
  knobs: KnobsSchema.default({ port: 8000, trustRemoteCode: true, reasoningParser: true, extraArgs: [] }),
  env: z.record(envName, z.string()).default({}).refine(forbiddenSecretEnv, 'do not put the HF token in a profile: it is read from secret storage and written to the host\'s token file'),
  runtime: RuntimeSchema,
  /** Launch even when the planner is certain the model does not fit (e.g. the catalog is wrong about a checkpoint). */
  allowMisfit: z.boolean().default(false),
}).strict().superRefine((p, ctx) => {
  // No value may carry control or bidirectional characters: a newline ends an #SBATCH directive or a YAML scalar, a
  // bidi override shows a reviewer something other than what runs. The description is prose: newlines allowed.
  const walk = (v: unknown, at: Array<string | number>): void => {
    if (typeof v === 'string') {
      const bad = unsafeCharIn(v, { allowNewlines: at.length === 1 && at[0] === 'description' });
      if (bad) ctx.addIssue({ code: 'custom', path: at, message: `${at.join('.')} contains ${bad}; remove it` });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
      const badKey = unsafeCharIn(k);
      if (badKey) ctx.addIssue({ code: 'custom', path: at, message: `${[...at, k].join('.')}: the name contains ${badKey}` });
      walk(x, [...at, k]);
    }
  };
  walk(p, []);
});

export type Profile = z.output<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;
export type Runtime = Profile['runtime'];

/** JSON Schema for YAML completion (yaml-language-server / redhat.vscode-yaml), generated from the same schema. */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ProfileSchema, { io: 'input' });
}
