import type { ImClusterSpec } from "../spec/imcluster.js";
import type { Dependency } from "./components.js";
import type { EnvVar } from "./kube-object.js";

/** Platform settings (libs/config platformSettings) the ConfigMap carries, from the spec and the shard count in force. */
export function platformSettingsData(spec: ImClusterSpec, messageShards: number): Record<string, string> {
  const data: Record<string, string> = {
    LOG_LEVEL: spec.config.logLevel,
    MESSAGE_SHARDS: String(messageShards),
    MESSAGE_WRITE_BATCH: String(spec.config.messageWriteBatch),
  };
  if (spec.observability.otlpEndpoint) data.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = spec.observability.otlpEndpoint;
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
      env.push(
        fromSecret("S3_ENDPOINT", storage.secretName, storage.endpointKey),
        fromSecret("S3_BUCKET", storage.secretName, storage.bucketKey),
        fromSecret("S3_ACCESS_KEY_ID", storage.secretName, storage.accessKeyIdKey),
        fromSecret("S3_SECRET_ACCESS_KEY", storage.secretName, storage.secretAccessKeyKey),
      );
    }
  }
  return env;
}

/** Variables by name, later ones replacing earlier ones in place (server-side apply rejects duplicate names). */
export function mergeEnv(...lists: EnvVar[][]): EnvVar[] {
  const byName = new Map<string, EnvVar>();
  for (const variable of lists.flat()) byName.set(variable.name, variable);
  return [...byName.values()];
}
