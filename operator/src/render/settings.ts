import type { ImClusterSpec } from "../spec/imcluster.js";
import type { Dependency } from "./components.js";
import type { EnvVar } from "./kube-object.js";
import { pushPlatformSettings } from "./push.js";

/**
 * Platform settings (libs/config platformSettings, pushQueueSettings) the ConfigMap carries, from the spec and the
 * shard count in force.
 */
export function platformSettingsData(spec: ImClusterSpec, messageShards: number): Record<string, string> {
  const data: Record<string, string> = {
    LOG_LEVEL: spec.config.logLevel,
    MESSAGE_SHARDS: String(messageShards),
    MESSAGE_WRITE_BATCH: String(spec.config.messageWriteBatch),
  };
  if (spec.observability.otlpEndpoint) data.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = spec.observability.otlpEndpoint;
  // PUSH_ENABLED=true on every app while the push component runs, so message paths queue offline pushes.
  Object.assign(data, pushPlatformSettings(spec.push));
  return data;
}

/** Secret-backed variables for the services a component needs, plus the Secret names they read. */
export function dependencyEnv(spec: ImClusterSpec, needs: readonly Dependency[]): EnvVar[] {
  const fromSecret = (name: string, secretName: string, key: string): EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: secretName, key } },
  });
  const env: EnvVar[] = [];
  for (const need of needs) {
    if (need === "mongo") env.push(fromSecret("MONGO_URL", spec.mongo.secretName, spec.mongo.key));
    if (need === "redis") env.push(fromSecret("REDIS_URL", spec.redis.secretName, spec.redis.key));
    if (need === "objectStorage") {
      const storage = spec.objectStorage;
      if (!storage) throw new Error("render: a component needs objectStorage but spec.objectStorage is not set");
      env.push(...objectStorageEnv(storage));
    }
  }
  return env;
}

/** S3_* of spec.objectStorage: Secret keys, the public endpoint (literal or Secret key) and the region when set. */
function objectStorageEnv(storage: NonNullable<ImClusterSpec["objectStorage"]>): EnvVar[] {
  const fromSecret = (name: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: storage.secretName, key } } });
  const env = [
    fromSecret("S3_ENDPOINT", storage.endpointKey),
    fromSecret("S3_BUCKET", storage.bucketKey),
    fromSecret("S3_ACCESS_KEY_ID", storage.accessKeyIdKey),
    fromSecret("S3_SECRET_ACCESS_KEY", storage.secretAccessKeyKey),
  ];
  if (storage.publicEndpoint) env.push({ name: "S3_PUBLIC_ENDPOINT", value: storage.publicEndpoint.replace(/\/$/, "") });
  if (storage.publicEndpointKey) env.push(fromSecret("S3_PUBLIC_ENDPOINT", storage.publicEndpointKey));
  if (storage.region) env.push({ name: "S3_REGION", value: storage.region });
  return env;
}

/**
 * The services a component connects to in this cluster: its needs, plus those of its `uses` the spec
 * configures (objectStorage only when spec.objectStorage is set).
 */
export function connectedServices(spec: ImClusterSpec, needs: readonly Dependency[], uses: readonly Dependency[] = []): Dependency[] {
  const configured = (dependency: Dependency) => dependency !== "objectStorage" || spec.objectStorage !== undefined;
  return [...needs, ...uses.filter((dependency) => configured(dependency) && !needs.includes(dependency))];
}

/**
 * MEDIA_PUBLIC_URL (no trailing slash): spec.upload.publicUrl; else the ingress host (https with a TLS Secret)
 * when the ingress is on and its host is not a wildcard; else the upload Service's in-cluster address, which only
 * pods reach (set publicUrl or the ingress for clients outside the cluster).
 */
export function mediaPublicUrl(spec: ImClusterSpec, owner: { name: string; namespace: string }): string {
  if (spec.upload.publicUrl) return spec.upload.publicUrl.replace(/\/+$/, "");
  const ingress = spec.ingress;
  if (ingress.enabled && ingress.host && !ingress.host.startsWith("*.")) {
    return `${ingress.tlsSecretName ? "https" : "http"}://${ingress.host}`;
  }
  return `http://${owner.name}-upload.${owner.namespace}.svc:8094`;
}

/** Variables by name, later ones replacing earlier ones in place (server-side apply rejects duplicate names). */
export function mergeEnv(...lists: EnvVar[][]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const variable of lists.flat()) byName.set(variable.name, variable);
  return [...byName.values()];
}
