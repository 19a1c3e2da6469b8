/**
 * The LeaderWorkerSet CRD (leaderworkerset.x-k8s.io/v1), written here from the LWS API reference
 * (kubernetes-sigs/lws api/leaderworkerset/v1/leaderworkerset_types.go: field names, types, enums, defaults, required
 * fields, subresources and printer columns from its kubebuilder markers) so the k8s tier can validate the chart's
 * LeaderWorkerSet manifests on a cluster that has the CRD, without the LWS controller (which needs Kubernetes 1.26+).
 * The embedded Kubernetes types (PodTemplateSpec, PersistentVolumeClaim) get their FULL structural schema, converted
 * from the cluster's own OpenAPI v2 document (`kubectl get --raw /openapi/v2`), as controller-gen derives them from
 * the same Go types: $refs inlined, IntOrString/Quantity as x-kubernetes-int-or-string, embedded ObjectMeta reduced to
 * name/namespace/labels/annotations/finalizers, descriptions and list-map markers left out (size, and 1.20's
 * OpenAPI lacks the defaults list-map keys would need).
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Schema = { [k: string]: Json };

/** The parts of an OpenAPI v2 schema object the conversion reads. */
interface OpenApiSchema {
  readonly type?: string;
  readonly format?: string;
  readonly $ref?: string;
  readonly items?: OpenApiSchema;
  readonly properties?: Record<string, OpenApiSchema>;
  readonly required?: string[];
  readonly additionalProperties?: OpenApiSchema | boolean;
  readonly enum?: Json[];
}

/** `kubectl get --raw /openapi/v2`, the part read here. */
export interface OpenApiV2 {
  readonly definitions: Record<string, OpenApiSchema>;
}

const INT_OR_STRING: Schema = { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
// controller-gen's pattern for resource.Quantity
const QUANTITY: Schema = {
  ...INT_OR_STRING,
  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
};
const STRING_MAP: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const EMBEDDED_OBJECT_META: Schema = {
  type: 'object',
  properties: {
    annotations: STRING_MAP,
    labels: STRING_MAP,
    name: { type: 'string' },
    namespace: { type: 'string' },
    finalizers: { type: 'array', items: { type: 'string' } },
  },
};
const SPECIAL: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': INT_OR_STRING,
  'io.k8s.apimachinery.pkg.api.resource.Quantity': QUANTITY,
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': EMBEDDED_OBJECT_META,
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

/**
 * The structural schema of one OpenAPI v2 definition (e.g. io.k8s.api.core.v1.PodTemplateSpec), every $ref inlined.
 * Throws on an unknown $ref or a recursive type (a structural schema cannot express recursion).
 */
export function structuralSchema(doc: OpenApiV2, definition: string): Schema {
  const convert = (s: OpenApiSchema, seen: readonly string[]): Schema => {
    if (s.$ref) {
      const name = s.$ref.replace('#/definitions/', '');
      if (SPECIAL[name]) return SPECIAL[name];
      if (seen.includes(name)) throw new Error(`recursive type ${[...seen, name].join(' → ')}`);
      const def = doc.definitions[name];
      if (!def) throw new Error(`OpenAPI has no definition ${name}`);
      return convert(def, [...seen, name]);
    }
    const out: Schema = {};
    if (s.properties) {
      const props: Schema = {};
      for (const [k, v] of Object.entries(s.properties)) props[k] = convert(v, seen);
      out.type = 'object';
      out.properties = props;
      if (s.required?.length) out.required = [...s.required];
    } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      out.type = 'object';
      out.additionalProperties = convert(s.additionalProperties, seen);
    } else if (s.type === 'object' || !s.type) {
      // free-form object (no fields declared): kept as is, not pruned
      out.type = 'object';
      out['x-kubernetes-preserve-unknown-fields'] = true;
    } else {
      out.type = s.type;
      if (s.format) out.format = s.format;
      if (s.type === 'array') out.items = s.items ? convert(s.items, seen) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      if (s.enum) out.enum = [...s.enum];
    }
    return out;
  };
  return convert({ $ref: `#/definitions/${definition}` }, []);
}

const int32 = (extra: Schema = {}): Schema => ({ type: 'integer', format: 'int32', ...extra });

/** LeaderWorkerSetSpec and LeaderWorkerSetStatus (leaderworkerset_types.go), with the embedded types' full schemas. */
export function leaderWorkerSetSchema(doc: OpenApiV2): Schema {
  const podTemplate = structuralSchema(doc, 'io.k8s.api.core.v1.PodTemplateSpec');
  const pvc = structuralSchema(doc, 'io.k8s.api.core.v1.PersistentVolumeClaim');
  const spec: Schema = {
    type: 'object',
    required: ['leaderWorkerTemplate'],
    properties: {
      replicas: int32({ default: 1 }),
      leaderWorkerTemplate: {
        type: 'object',
        required: ['workerTemplate'],
        properties: {
          leaderTemplate: podTemplate,
          workerTemplate: podTemplate,
          size: int32({ default: 1 }),
          restartPolicy: { type: 'string', enum: ['Default', 'RecreateGroupOnPodRestart', 'None'], default: 'RecreateGroupOnPodRestart' },
          subGroupPolicy: {
            type: 'object',
            properties: {
              subGroupPolicyType: { type: 'string', enum: ['LeaderWorker', 'LeaderExcluded'], default: 'LeaderWorker' },
              subGroupSize: int32(),
            },
          },
          volumeClaimTemplates: { type: 'array', items: pvc },
          persistentVolumeClaimRetentionPolicy: {
            type: 'object',
            properties: { whenDeleted: { type: 'string' }, whenScaled: { type: 'string' } },
          },
        },
      },
      rolloutStrategy: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', enum: ['RollingUpdate'], default: 'RollingUpdate' },
          rollingUpdateConfiguration: {
            type: 'object',
            properties: {
              partition: int32({ default: 0 }),
              maxUnavailable: { ...INT_OR_STRING, default: 1 },
              maxSurge: { ...INT_OR_STRING, default: 0 },
            },
          },
        },
      },
      startupPolicy: { type: 'string', enum: ['LeaderCreated', 'LeaderReady'], default: 'LeaderCreated' },
      networkConfig: {
        type: 'object',
        required: ['subdomainPolicy'],
        properties: { subdomainPolicy: { type: 'string', enum: ['Shared', 'UniquePerReplica'] } },
      },
    },
  };
  const condition: Schema = {
    type: 'object',
    required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
    properties: {
      lastTransitionTime: { type: 'string', format: 'date-time' },
      message: { type: 'string', maxLength: 32768 },
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
      reason: { type: 'string', maxLength: 1024, minLength: 1 },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      type: { type: 'string', maxLength: 316 },
    },
  };
  const status: Schema = {
    type: 'object',
    properties: {
      conditions: { type: 'array', items: condition },
      readyReplicas: int32(),
      updatedReplicas: int32(),
      replicas: int32(),
      hpaPodSelector: { type: 'string' },
    },
  };
  return {
    type: 'object',
    description: 'LeaderWorkerSet is the Schema for the leaderworkersets API',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec, status },
  };
}

/** The CustomResourceDefinition object (apiextensions.k8s.io/v1), ready to serialise as JSON or YAML. */
export function leaderWorkerSetCrd(doc: OpenApiV2): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'leaderworkersets.leaderworkerset.x-k8s.io', labels: { 'app.kubernetes.io/managed-by': 'deepseek-deploy-tests' } },
    spec: {
      group: 'leaderworkerset.x-k8s.io',
      names: { kind: 'LeaderWorkerSet', listKind: 'LeaderWorkerSetList', plural: 'leaderworkersets', singular: 'leaderworkerset', shortNames: ['lws'] },
      scope: 'Namespaced',
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: leaderWorkerSetSchema(doc) },
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.hpaPodSelector' },
        },
        additionalPrinterColumns: [
          { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Number of ready replicas' },
          { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Number of desired replicas' },
          { name: 'Up-to-date', type: 'integer', jsonPath: '.status.updatedReplicas', description: 'Number of up-to-date replicas' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  };
}
