import { z } from "zod";
import type { ExtraEnvVar, Toleration } from "../spec/common.js";
import { autoscalingSchema, type ComponentDefaults, componentShape, connectionAutoscalingSchema } from "../spec/component-spec.js";
import { defaultGatewaySpread, type TopologySpreadConstraint } from "../spec/placement.js";
import { type PushSection, pushSectionSchema } from "../spec/push-spec.js";
import type { EnvVar } from "./kube-object.js";
import { type PodFiles, pushEnv, pushFiles, pushLogRetentionEnv, pushPort, pushQueueLagMetrics } from "./push.js";

/** External services a component connects to; each maps to Secret-backed environment variables. */
export type Dependency = "mongo" | "redis" | "objectStorage";

/** What render reads from any component's spec section (every section's zod output is assignable to it). */
export interface ComponentSpecView {
  replicas: number;
  resources: {
    requests?: { cpu?: string | number; memory?: string | number };
    limits?: { cpu?: string | number; memory?: string | number };
  };
  autoscaling?: {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    targetCPUUtilizationPercentage?: number;
    targetConnectionsPerPod?: number;
    connectionsMetric?: string;
  };
  podDisruptionBudget?: { minAvailable?: string | number; maxUnavailable?: string | number };
  extraEnv: ExtraEnvVar[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  podAnnotations?: Record<string, string>;
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  priorityClassName?: string;
}

/** The parts of an ImCluster spec that decide which components run (a structural type: the spec's own type is built from this table). */
export interface RunningFacts {
  objectStorage?: unknown;
  push?: { enabled: boolean };
}

/** Cluster-wide facts a component's own environment may depend on. */
export interface ComponentContext {
  ingressEnabled: boolean;
  /**
   * Base URL clients reach the upload app at (MEDIA_PUBLIC_URL, no trailing slash): spec.upload.publicUrl, else
   * the ingress host, else the upload Service's in-cluster address. Media and avatar URLs start with it.
   */
  mediaPublicUrl: string;
  /** The cluster's spec.push (the scheduler's push-log job reads its retention). */
  push: PushSection;
}

/**
 * One platform component: its spec section and everything render needs to run it. Adding a component
 * (push, upload) is one more entry in `components`; the CRD, RBAC and render follow.
 */
export interface ComponentDefinition<S extends ComponentSpecView = ComponentSpecView> {
  /** Key of its spec section and suffix of its object names. */
  name: string;
  /** One line for `kubectl explain`. */
  description: string;
  /** Its spec section. */
  schema: z.ZodType<S>;
  /** Script the image runs with node (relative to the image's working directory). */
  entrypoint: string;
  /** The one port it listens on; /metrics is served there too. */
  port: number;
  /** Container port name: "http" for client-facing servers, "metrics" when the port only serves probes and metrics. */
  portName: "http" | "metrics";
  metricsPath: string;
  probes: { liveness: string; readiness: string };
  /** Services it connects to (MONGO_URL, REDIS_URL, S3_*); render refuses a spec that does not configure one. */
  needs: readonly Dependency[];
  /** Services it connects to when the spec configures them (the scheduler deletes expired media when there is storage). */
  uses?: readonly Dependency[];
  /** Runs only when this holds (the upload app needs spec.objectStorage); otherwise render leaves it out and its objects are pruned. */
  runsWhen?: (spec: RunningFacts) => boolean;
  /** Its own environment (ports, ids, component settings), hashed with everything else it consumes. */
  env: (spec: S, context: ComponentContext) => EnvVar[];
  /** Exposed through the ingress at these path prefixes; websocket adds long timeouts (and cookie affinity when polling is allowed). */
  ingress?: {
    paths: readonly string[];
    websocket: boolean;
    stickyWhen?: (spec: S) => boolean;
    /** ingress-nginx annotations of its own Ingress, over the shared ones (the upload paths' body size and timeouts). */
    annotations?: (spec: S) => Record<string, string>;
  };
  /** Files it mounts read-only (Secret or ConfigMap keys) besides /tmp; their Secrets' versions join its config hash. */
  files?: (spec: S) => PodFiles;
  /** Autoscaler metrics beyond CPU and connections (the push queue lag, an External metric). */
  autoscalingMetrics?: (spec: S, clusterName: string) => unknown[];
  /** Scale-down policy of its autoscaler; scaling a gateway down disconnects its users. */
  scaleDown?: { stabilizationWindowSeconds: number; podsPerMinute: number };
  /** Topology spread its pods get when its section gives none (spec/placement.ts). */
  defaultSpread?: readonly TopologySpreadConstraint[];
  terminationGracePeriodSeconds: number;
}

function defineComponent<S extends ComponentSpecView>(definition: ComponentDefinition<S>): ComponentDefinition<S> {
  return definition;
}

const podName: EnvVar["valueFrom"] = { fieldRef: { fieldPath: "metadata.name" } };

const apiDefaults: ComponentDefaults = { replicas: 2, cpuRequest: "250m", memoryRequest: "256Mi", memoryLimit: "512Mi", maxReplicas: 10 };
const gatewayDefaults: ComponentDefaults = { replicas: 2, cpuRequest: "500m", memoryRequest: "512Mi", memoryLimit: "1Gi", maxReplicas: 20 };
const schedulerDefaults: ComponentDefaults = {
  replicas: 1,
  cpuRequest: "100m",
  memoryRequest: "128Mi",
  memoryLimit: "256Mi",
  maxReplicas: 1,
};

const api = defineComponent({
  name: "api",
  description: "REST API (express): accounts, friends, rooms, history",
  schema: z
    .object({ ...componentShape(apiDefaults), autoscaling: autoscalingSchema(apiDefaults) })
    .prefault({})
    .describe("The REST API (apps/api)"),
  entrypoint: "apps/api/dist/main.js",
  port: 8092,
  portName: "http",
  metricsPath: "/metrics",
  probes: { liveness: "/healthz", readiness: "/readyz" },
  needs: ["mongo", "redis"],
  env: (_spec, context) => [
    { name: "API_PORT", value: "8092" },
    { name: "API_TRUST_PROXY", value: context.ingressEnabled ? "1" : "0" },
    // GET /v1/config serves uploadUrl, downloadUrl and downloadAvatarUrl from it; avatar URLs are checked against it.
    { name: "MEDIA_PUBLIC_URL", value: context.mediaPublicUrl },
  ],
  ingress: { paths: ["/v1"], websocket: false },
  terminationGracePeriodSeconds: 30,
});

const gateway = defineComponent({
  name: "gateway",
  description: "Socket.IO gateway: device connections, message send and delivery",
  schema: z
    .object({
      ...componentShape(gatewayDefaults),
      autoscaling: connectionAutoscalingSchema(gatewayDefaults, "im_connected_devices"),
      allowPolling: z
        .boolean()
        .default(true)
        .describe("Allow Socket.IO's HTTP long-polling transport (GATEWAY_ALLOW_POLLING); the ingress then adds cookie affinity"),
    })
    .prefault({})
    .describe("The Socket.IO gateway (apps/gateway)"),
  entrypoint: "apps/gateway/dist/main.js",
  port: 5280,
  portName: "http",
  metricsPath: "/metrics",
  probes: { liveness: "/healthz", readiness: "/readyz" },
  needs: ["mongo", "redis"],
  env: (spec, context) => [
    { name: "GATEWAY_PORT", value: "5280" },
    { name: "GATEWAY_ID", valueFrom: podName },
    { name: "GATEWAY_ALLOW_POLLING", value: String(spec.allowPolling) },
    // Media messages carry URLs under it.
    { name: "MEDIA_PUBLIC_URL", value: context.mediaPublicUrl },
  ],
  ingress: { paths: ["/socket.io"], websocket: true, stickyWhen: (spec) => spec.allowPolling },
  scaleDown: { stabilizationWindowSeconds: 600, podsPerMinute: 1 },
  // Losing a node or a zone should cut as few users as possible.
  defaultSpread: defaultGatewaySpread,
  terminationGracePeriodSeconds: 60,
});

const scheduler = defineComponent({
  name: "scheduler",
  description: "Periodic jobs on Agenda (status snapshots, retention)",
  schema: z
    .object({ ...componentShape(schedulerDefaults) })
    .prefault({})
    .describe("The job scheduler (apps/scheduler); jobs take a lock, so extra replicas are standbys"),
  entrypoint: "apps/scheduler/dist/main.js",
  port: 9470,
  portName: "metrics",
  metricsPath: "/metrics",
  probes: { liveness: "/healthz", readiness: "/healthz" },
  needs: ["mongo", "redis"],
  // The media expiry job deletes objects from the storage.
  uses: ["objectStorage"],
  env: (_spec, context) => [
    { name: "SCHEDULER_PORT", value: "9470" },
    { name: "SCHEDULER_ID", valueFrom: podName },
    // The push-log job removes old push log records.
    ...pushLogRetentionEnv(context.push),
  ],
  terminationGracePeriodSeconds: 30,
});

const uploadDefaults: ComponentDefaults = { replicas: 2, cpuRequest: "500m", memoryRequest: "512Mi", memoryLimit: "1Gi", maxReplicas: 10 };

const upload = defineComponent({
  name: "upload",
  description: "Upload app (express): uploads, downloads, avatars, thumbnails and transcoding on S3 storage",
  schema: z
    .object({
      ...componentShape(uploadDefaults),
      autoscaling: autoscalingSchema(uploadDefaults),
      publicUrl: z
        .string()
        .max(2048)
        .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an http(s) URL without query or fragment")
        .optional()
        .describe(
          "Base URL clients reach the upload app at (MEDIA_PUBLIC_URL of the upload app, the API and the gateway), e.g. https://im.example.com; default: the ingress host, else the upload Service's in-cluster address",
        ),
      downloadMode: z
        .enum(["redirect", "proxy"])
        .default("redirect")
        .describe(
          "UPLOAD_DOWNLOAD_MODE: redirect downloads to presigned URLs (clients must reach the storage's public endpoint) or proxy them through the app",
        ),
      maxBodyMegabytes: z
        .int()
        .min(1)
        .max(102_400)
        .default(256)
        .describe(
          "ingress-nginx proxy-body-size on the upload paths: the largest upload request; keep it above the largest UPLOAD_MAX_*_BYTES (default 200 MiB) plus the form's framing, so the app answers UPLOAD_TOO_LARGE with its code rather than nginx a bare 413",
        ),
      proxyTimeoutSeconds: z
        .int()
        .min(1)
        .max(86_400)
        .default(600)
        .describe("ingress-nginx proxy-read-timeout and proxy-send-timeout on the upload paths (slow uploads and downloads)"),
    })
    .prefault({})
    .describe("The upload app (apps/upload); runs only when spec.objectStorage is set"),
  entrypoint: "apps/upload/dist/main.js",
  port: 8094,
  portName: "http",
  metricsPath: "/metrics",
  probes: { liveness: "/healthz", readiness: "/readyz" },
  needs: ["mongo", "redis", "objectStorage"],
  runsWhen: (spec) => spec.objectStorage !== undefined,
  // Uploads spool under UPLOAD_TMP_DIR (default /tmp/im-upload) for ffmpeg and sharp: the pod's /tmp emptyDir.
  env: (spec, context) => [
    { name: "UPLOAD_PORT", value: "8094" },
    { name: "UPLOAD_TRUST_PROXY", value: context.ingressEnabled ? "1" : "0" },
    { name: "UPLOAD_DOWNLOAD_MODE", value: spec.downloadMode },
    { name: "MEDIA_PUBLIC_URL", value: context.mediaPublicUrl },
  ],
  ingress: {
    paths: ["/v1/uploads", "/v1/media", "/v1/avatars"],
    websocket: false,
    // Streamed to the app as it arrives (no buffering of whole files in nginx), large bodies, slow clients.
    annotations: (spec) => ({
      "nginx.ingress.kubernetes.io/proxy-body-size": `${spec.maxBodyMegabytes}m`,
      "nginx.ingress.kubernetes.io/proxy-request-buffering": "off",
      "nginx.ingress.kubernetes.io/proxy-buffering": "off",
      "nginx.ingress.kubernetes.io/proxy-read-timeout": String(spec.proxyTimeoutSeconds),
      "nginx.ingress.kubernetes.io/proxy-send-timeout": String(spec.proxyTimeoutSeconds),
    }),
  },
  terminationGracePeriodSeconds: 60,
});

const push = defineComponent<PushSection>({
  name: "push",
  description: "Offline push worker: queued notifications to APNs, FCM, Huawei and Xiaomi",
  schema: pushSectionSchema,
  entrypoint: "apps/push/dist/main.js",
  port: pushPort,
  portName: "metrics",
  metricsPath: "/metrics",
  probes: { liveness: "/healthz", readiness: "/readyz" },
  // Redis: the queue, presence, badges, send markers; MongoDB: devices, silences, the push log.
  needs: ["mongo", "redis"],
  runsWhen: (spec) => spec.push?.enabled === true,
  env: (spec) => pushEnv(spec),
  files: (spec) => pushFiles(spec),
  autoscalingMetrics: (spec, clusterName) => pushQueueLagMetrics(spec, clusterName),
  // A stopping worker finishes its sends in flight (provider timeout 10 s by default) and acknowledges them.
  terminationGracePeriodSeconds: 30,
});

/** The component table: spec section name → definition. Order is render order. */
export const components = { api, gateway, scheduler, upload, push };

export type ComponentName = keyof typeof components;

/** The table as a list, typed for code that treats every component alike. */
export const componentList = Object.values(components) as unknown as ComponentDefinition[];

/** The components an ImCluster runs: every entry whose runsWhen holds (upload with object storage, push when enabled). */
export function activeComponents(spec: RunningFacts): ComponentDefinition[] {
  return componentList.filter((component) => component.runsWhen?.(spec) ?? true);
}
