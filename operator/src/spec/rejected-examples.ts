import { apiVersion, kind } from "../crd/constants.js";

/**
 * An ImCluster the operator refuses (imClusterSchema fails on it) and that the API server must therefore refuse
 * at admission (the CRD's openAPIV3Schema and its CEL rules), so a bad value never reaches a reconcile. Each one
 * is fed to zod by spec/rejected-examples.test.ts and to a real kube-apiserver (`kubectl create
 * --dry-run=server`) by tests/k8s/admission.test.ts.
 */
export interface RejectedExample {
  /** What is wrong, in words (the test's name). */
  what: string;
  /** Fields merged (deeply; arrays replace) onto the spec of {@link validImCluster}. */
  spec?: Record<string, unknown>;
  /** metadata.name instead of "im". */
  name?: string;
  /** Path of the zod issue, dot-joined from the object's root, e.g. "spec.api.replicas". */
  path: string;
  /** Text the API server's refusal names (a field path); default {@link path}. */
  apiField?: string;
}

/** A valid ImCluster "im": the examples below each break one thing of it. */
export function validImCluster(name = "im"): Record<string, unknown> & { spec: Record<string, unknown> } {
  return {
    apiVersion,
    kind,
    metadata: { name },
    spec: { version: "0.1.0", mongo: { secretName: "im-mongo" }, redis: { secretName: "im-redis" } },
  };
}

const secretValue = { secretKeyRef: { name: "s", key: "k" } };

/**
 * Every kind of value the spec's zod schema refuses, one example each: plain JSON Schema checks (kept by the
 * structural schema), the int-or-string nodes' integer bounds (CEL, see crd/structural.ts), every `.refine`
 * (its CEL twin) and the checks the children's own API validation makes (labels, annotations, tolerations,
 * percentages, IngressClass names), so the CRD refuses what a child's apply would later fail on.
 */
export const rejectedExamples: RejectedExample[] = [
  { what: "a bad cluster name (dots)", name: "im.prod", path: "metadata.name" },
  { what: "a cluster name longer than 40 characters", name: `im-${"x".repeat(40)}`, path: "metadata.name" },
  { what: "a version that is no image tag", spec: { version: "1.0 beta" }, path: "spec.version" },
  { what: "an unknown pull policy", spec: { image: { pullPolicy: "Sometimes" } }, path: "spec.image.pullPolicy" },
  { what: "a Secret name with capitals", spec: { mongo: { secretName: "Mongo_Secret" } }, path: "spec.mongo.secretName" },
  { what: "negative replicas", spec: { api: { replicas: -1 } }, path: "spec.api.replicas" },
  { what: "0 message shards", spec: { messageShards: 0 }, path: "spec.messageShards" },
  { what: "a fractional shard count", spec: { messageShards: 2.5 }, path: "spec.messageShards" },
  { what: "an unknown log level", spec: { config: { logLevel: "loud" } }, path: "spec.config.logLevel" },
  {
    what: "a negative integer PodDisruptionBudget minAvailable",
    spec: { gateway: { podDisruptionBudget: { minAvailable: -1 } } },
    path: "spec.gateway.podDisruptionBudget.minAvailable",
  },
  {
    what: "a PodDisruptionBudget percentage above 100%",
    spec: { api: { podDisruptionBudget: { maxUnavailable: "150%" } } },
    path: "spec.api.podDisruptionBudget.maxUnavailable",
  },
  {
    what: "both minAvailable and maxUnavailable",
    spec: { api: { podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } } },
    path: "spec.api.podDisruptionBudget",
  },
  {
    what: "a negative CPU request (string)",
    spec: { api: { resources: { requests: { cpu: "-1" } } } },
    path: "spec.api.resources.requests.cpu",
  },
  {
    what: "a negative memory limit (integer)",
    spec: { gateway: { resources: { limits: { memory: -5 } } } },
    path: "spec.gateway.resources.limits.memory",
  },
  {
    what: "a memory request above the memory limit",
    spec: { api: { resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } } },
    path: "spec.api.resources",
  },
  {
    what: "a CPU request (integer) above the CPU limit",
    spec: { upload: { resources: { requests: { cpu: 2 }, limits: { cpu: "1500m" } } } },
    path: "spec.upload.resources",
  },
  {
    what: "a quantity that is no quantity",
    spec: { api: { resources: { requests: { cpu: "lots" } } } },
    path: "spec.api.resources.requests.cpu",
  },
  {
    what: "autoscaling minReplicas above maxReplicas",
    spec: { gateway: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } },
    path: "spec.gateway.autoscaling",
  },
  {
    what: "autoscaling minReplicas above the default maxReplicas",
    spec: { upload: { autoscaling: { minReplicas: 30 } } },
    path: "spec.upload.autoscaling",
  },
  {
    what: "push autoscaling minReplicas above maxReplicas",
    spec: { push: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } },
    path: "spec.push.autoscaling",
  },
  { what: "an extra variable with neither value nor valueFrom", spec: { api: { extraEnv: [{ name: "A" }] } }, path: "spec.api.extraEnv.0" },
  {
    what: "an extra variable with both value and valueFrom",
    spec: { api: { extraEnv: [{ name: "A", value: "x", valueFrom: secretValue }] } },
    path: "spec.api.extraEnv.0",
  },
  {
    what: "an extra variable's valueFrom naming no source",
    spec: { api: { extraEnv: [{ name: "A", valueFrom: {} }] } },
    path: "spec.api.extraEnv.0.valueFrom",
  },
  { what: "an extra variable name with '='", spec: { api: { extraEnv: [{ name: "A=B", value: "x" }] } }, path: "spec.api.extraEnv.0.name" },
  { what: "an enabled ingress without a host", spec: { ingress: { enabled: true } }, path: "spec.ingress.host" },
  { what: "an ingress host with a scheme", spec: { ingress: { host: "https://im.example.com" } }, path: "spec.ingress.host" },
  { what: "an IngressClass name with capitals", spec: { ingress: { className: "Nginx_Public" } }, path: "spec.ingress.className" },
  {
    what: "an ingress annotation key with a space",
    spec: { ingress: { annotations: { "cert manager": "x" } } },
    path: "spec.ingress.annotations",
  },
  {
    what: "both publicEndpoint and publicEndpointKey",
    spec: { objectStorage: { secretName: "s3", publicEndpoint: "https://media.example.com", publicEndpointKey: "public" } },
    path: "spec.objectStorage.publicEndpointKey",
  },
  { what: "a shard migration to fewer shards", spec: { messageShardsMigration: { from: 16, to: 8 } }, path: "spec.messageShardsMigration" },
  {
    what: "an upload public URL that is not http(s)",
    spec: { upload: { publicUrl: "ftp://media.example.com" } },
    path: "spec.upload.publicUrl",
  },
  {
    what: "an OTLP endpoint that is only a path",
    spec: { observability: { otlpEndpoint: "/v1/traces" } },
    path: "spec.observability.otlpEndpoint",
  },
  { what: "a nodeSelector key with a space", spec: { api: { nodeSelector: { "disk type": "ssd" } } }, path: "spec.api.nodeSelector" },
  {
    what: "a nodeSelector value that is no label value",
    spec: { api: { nodeSelector: { disk: "fast ssd" } } },
    path: "spec.api.nodeSelector.disk",
  },
  {
    what: "a pod annotation key with two slashes",
    spec: { gateway: { podAnnotations: { "a/b/c": "x" } } },
    path: "spec.gateway.podAnnotations",
  },
  {
    what: "a ServiceMonitor label key that is no label key",
    spec: { observability: { serviceMonitor: { labels: { "-release": "prometheus" } } } },
    path: "spec.observability.serviceMonitor.labels",
  },
  {
    what: "a dashboards label value longer than 63 characters",
    spec: { observability: { dashboards: { labels: { team: "x".repeat(64) } } } },
    path: "spec.observability.dashboards.labels.team",
  },
  {
    what: "a queue-lag selector key that is no label key",
    spec: { push: { autoscaling: { queueLagSelector: { "service name": "im-push" } } } },
    path: "spec.push.autoscaling.queueLagSelector",
  },
  {
    what: "a toleration with operator Exists and a value",
    spec: { api: { tolerations: [{ key: "dedicated", operator: "Exists", value: "im" }] } },
    path: "spec.api.tolerations.0",
  },
  {
    what: "a toleration without a key and without operator Exists",
    spec: { api: { tolerations: [{ value: "im", effect: "NoSchedule" }] } },
    path: "spec.api.tolerations.0",
  },
  {
    what: "a toleration with tolerationSeconds but not effect NoExecute",
    spec: { api: { tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 30 }] } },
    path: "spec.api.tolerations.0",
  },
  {
    what: "a toleration key that is no label key",
    spec: { api: { tolerations: [{ key: "dedicated node", operator: "Exists" }] } },
    path: "spec.api.tolerations.0.key",
  },
  {
    what: "a toleration value that is no label value",
    spec: { api: { tolerations: [{ key: "dedicated", value: "im platform" }] } },
    path: "spec.api.tolerations.0.value",
  },
  {
    what: "a spread topologyKey that is no label key",
    spec: { gateway: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "node name", whenUnsatisfiable: "ScheduleAnyway" }] } },
    path: "spec.gateway.topologySpreadConstraints.0.topologyKey",
  },
  {
    what: "minDomains with ScheduleAnyway",
    spec: {
      api: {
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", minDomains: 2 },
        ],
      },
    },
    path: "spec.api.topologySpreadConstraints.0",
  },
  {
    what: "the same spread twice",
    spec: {
      api: {
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" },
          { maxSkew: 2, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" },
        ],
      },
    },
    path: "spec.api.topologySpreadConstraints",
  },
  {
    what: "a PriorityClass name with capitals",
    spec: { api: { priorityClassName: "High" } },
    path: "spec.api.priorityClassName",
  },
  {
    what: "a CA bundle from both a ConfigMap and a Secret",
    spec: { push: { providers: { ca: { configMapName: "ca", secretName: "ca" } } } },
    path: "spec.push.providers.ca",
  },
  {
    what: "an APNs key ID of the wrong length",
    spec: { push: { providers: { apns: { secretRef: { name: "apns" }, keyId: "ABC", teamId: "DEF123GHIJ" } } } },
    path: "spec.push.providers.apns.keyId",
  },
  { what: "a push queue bound below 1000", spec: { push: { queueMaxLength: 10 } }, path: "spec.push.queueMaxLength" },
];

/** The example's whole ImCluster: {@link validImCluster} with the example's name and spec fields merged in. */
export function rejectedObject(example: RejectedExample): Record<string, unknown> {
  const object = validImCluster(example.name);
  return { ...object, spec: merge(object.spec, example.spec ?? {}) };
}

function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
