import type { PushSection } from "../spec/push-spec.js";
import type { EnvVar, Volume, VolumeMount } from "./kube-object.js";

/** Port of the push app's /healthz, /readyz and /metrics (PUSH_PORT; BRIEF "Names every section uses"). */
export const pushPort = 9472;

/** Directory under which provider credentials and the CA bundle are mounted, one read-only folder each. */
export const pushCredentialsDir = "/etc/im-push";

/** Volumes of the push pod beside /tmp, and where the container mounts them. */
export interface PodFiles {
  volumes: Volume[];
  mounts: VolumeMount[];
}

/** Owner-only read for the app's group (the pod runs as uid/gid 1000 with fsGroup 1000 when it mounts files). */
const credentialMode = 0o440;

/**
 * PUSH_ENABLED and PUSH_QUEUE_MAX_LENGTH (libs/config pushQueueSettings), which every app reads from the platform
 * ConfigMap while push is on; nothing when it is off (the apps' default PUSH_ENABLED=false).
 */
export function pushPlatformSettings(push: PushSection): Record<string, string> {
  if (!push.enabled) return {};
  return { PUSH_ENABLED: "true", PUSH_QUEUE_MAX_LENGTH: String(push.queueMaxLength) };
}

/** PUSH_LOG_RETENTION_DAYS for the apps that read it (the push app, the scheduler's push-log job), when set. */
export function pushLogRetentionEnv(push: PushSection): EnvVar[] {
  return push.enabled && push.logRetentionDays !== undefined
    ? [{ name: "PUSH_LOG_RETENTION_DAYS", value: String(push.logRetentionDays) }]
    : [];
}

const literal = (name: string, value: string | number | undefined): EnvVar[] =>
  value === undefined ? [] : [{ name, value: String(value) }];
const fromSecret = (name: string, ref: { name: string; key: string }): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/**
 * The push app's own environment: PUSH_PORT, PUSH_CONSUMER (the pod name: unique per worker in the consumer
 * group), worker settings that are set, and per configured provider its non-secret settings plus its credential,
 * either as a file path (mounted by pushFiles) or as a Secret-backed variable. Names are the app's settings
 * (apps/push/src/providers/settings.ts, apps/push/src/config.ts).
 */
export function pushEnv(push: PushSection): EnvVar[] {
  const { apns, fcm, huawei, xiaomi, ca } = push.providers;
  const worker = push.worker;
  const env: EnvVar[] = [
    { name: "PUSH_PORT", value: String(pushPort) },
    ...pushLogRetentionEnv(push),
    { name: "PUSH_CONSUMER", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ...literal("PUSH_BATCH", worker.batch),
    ...literal("PUSH_CONCURRENCY", worker.concurrency),
    ...literal("PUSH_CLAIM_IDLE_MS", worker.claimIdleMs),
    ...literal("PUSH_MAX_DELIVERIES", worker.maxDeliveries),
    ...literal("PUSH_ALERT_TTL_SECONDS", worker.alertTtlSeconds),
    ...literal("PUSH_CALL_TTL_SECONDS", worker.callTtlSeconds),
    ...literal("PUSH_PROVIDER_TIMEOUT_MS", push.providers.timeoutMs),
    ...literal("PUSH_PROVIDER_RETRIES", push.providers.retries),
  ];
  if (apns) {
    env.push(
      apns.mountAs === "file"
        ? { name: "PUSH_APNS_KEY_FILE", value: `${pushCredentialsDir}/apns/key.p8` }
        : fromSecret("PUSH_APNS_KEY", apns.secretRef),
      { name: "PUSH_APNS_KEY_ID", value: apns.keyId },
      { name: "PUSH_APNS_TEAM_ID", value: apns.teamId },
      ...literal("PUSH_APNS_URL", apns.url),
      ...literal("PUSH_APNS_SANDBOX_URL", apns.sandboxUrl),
    );
  }
  if (fcm) {
    env.push(
      fcm.mountAs === "file"
        ? { name: "PUSH_FCM_SERVICE_ACCOUNT_FILE", value: `${pushCredentialsDir}/fcm/service-account.json` }
        : fromSecret("PUSH_FCM_SERVICE_ACCOUNT", fcm.secretRef),
      ...literal("PUSH_FCM_URL", fcm.url),
      ...literal("PUSH_FCM_TOKEN_URL", fcm.tokenUrl),
    );
  }
  if (huawei) {
    env.push(
      { name: "PUSH_HUAWEI_APP_ID", value: huawei.appId },
      ...literal("PUSH_HUAWEI_CLIENT_ID", huawei.clientId),
      fromSecret("PUSH_HUAWEI_CLIENT_SECRET", huawei.secretRef),
      ...literal("PUSH_HUAWEI_URL", huawei.url),
      ...literal("PUSH_HUAWEI_TOKEN_URL", huawei.tokenUrl),
    );
  }
  if (xiaomi) env.push(fromSecret("PUSH_XIAOMI_APP_SECRET", xiaomi.secretRef), ...literal("PUSH_XIAOMI_URL", xiaomi.url));
  if (ca) env.push({ name: "PUSH_CA_FILE", value: `${pushCredentialsDir}/ca/ca.pem` });
  return env;
}

/**
 * Credentials mounted as files: the APNs key and the FCM service account (with mountAs file) and the CA bundle,
 * each a single Secret (or ConfigMap) key projected to a fixed file name in its own read-only folder.
 */
export function pushFiles(push: PushSection): PodFiles {
  const files: PodFiles = { volumes: [], mounts: [] };
  const mount = (name: string, source: Omit<Volume, "name">) => {
    files.volumes.push({ name, ...source });
    files.mounts.push({ name, mountPath: `${pushCredentialsDir}/${name.slice("push-".length)}`, readOnly: true });
  };
  const { apns, fcm, ca } = push.providers;
  if (apns?.mountAs === "file") {
    mount("push-apns", {
      secret: { secretName: apns.secretRef.name, items: [{ key: apns.secretRef.key, path: "key.p8" }], defaultMode: credentialMode },
    });
  }
  if (fcm?.mountAs === "file") {
    mount("push-fcm", {
      secret: {
        secretName: fcm.secretRef.name,
        items: [{ key: fcm.secretRef.key, path: "service-account.json" }],
        defaultMode: credentialMode,
      },
    });
  }
  if (ca?.secretName) {
    mount("push-ca", { secret: { secretName: ca.secretName, items: [{ key: ca.key, path: "ca.pem" }], defaultMode: credentialMode } });
  } else if (ca?.configMapName) {
    mount("push-ca", { configMap: { name: ca.configMapName, items: [{ key: ca.key, path: "ca.pem" }], defaultMode: credentialMode } });
  }
  return files;
}

/**
 * The External metric of the push autoscaler (with targetQueueLagPerPod): the queue lag divided by the pods
 * (AverageValue), selected by queueLagSelector or the push Service's name (the `service` label the Prometheus
 * Operator puts on scraped series). prometheus-adapter must serve it (docs/kubernetes.md has the rule).
 */
export function pushQueueLagMetrics(push: PushSection, clusterName: string): unknown[] {
  const autoscaling = push.autoscaling;
  if (autoscaling.targetQueueLagPerPod === undefined) return [];
  return [
    {
      type: "External",
      external: {
        metric: {
          name: autoscaling.queueLagMetric,
          selector: { matchLabels: autoscaling.queueLagSelector ?? { service: `${clusterName}-push` } },
        },
        target: { type: "AverageValue", averageValue: String(autoscaling.targetQueueLagPerPod) },
      },
    },
  ];
}
