import { pushQueueSettings } from "@im/config";
import { z } from "zod";
import { dataKey, labelMap, objectName } from "./common.js";
import { autoscalingShape, type ComponentDefaults, componentShape } from "./component-spec.js";

/** Defaults of spec.push: two workers (so one can die mid-batch and the other claims its entries). */
export const pushDefaults: ComponentDefaults = {
  replicas: 2,
  cpuRequest: "250m",
  memoryRequest: "256Mi",
  memoryLimit: "512Mi",
  maxReplicas: 10,
};

/** The External metric the push autoscaler reads by default (gauge of the push app, BRIEF "Metrics"). */
export const pushQueueLagMetric = "im_push_queue_lag";

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name");

/** A key of a provider's Secret (the Secret's name and the key holding the credential). */
const providerSecretRef = (what: string, defaultKey: string) =>
  z
    .object({
      name: objectName.describe(`Name of the Secret holding the ${what} (in the ImCluster's namespace)`),
      key: dataKey.default(defaultKey).describe(`Key of the ${what} inside the Secret`),
    })
    .describe(`The ${what} (a Secret reference; the operator never reads the Secret)`);

const mountAs = (fileVariable: string, envVariable: string) =>
  z
    .enum(["file", "env"])
    .default("file")
    .describe(
      `file: the Secret key is mounted read-only under /etc/im-push and ${fileVariable} names it; env: its text goes into ${envVariable}`,
    );

const httpsUrl = (what: string, variable: string, fallback: string) =>
  z
    .string()
    .max(2048)
    .regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an https URL without query or fragment")
    .optional()
    .describe(`${what} (${variable}); the app's default ${fallback} when unset`);

const apnsSchema = z
  .object({
    secretRef: providerSecretRef("APNs .p8 signing key (PEM)", "key.p8"),
    mountAs: mountAs("PUSH_APNS_KEY_FILE", "PUSH_APNS_KEY"),
    keyId: z
      .string()
      .regex(/^[A-Z0-9]{10}$/, "must be the 10-character key ID of the .p8 key")
      .describe("Key ID of the .p8 key (PUSH_APNS_KEY_ID), the JWT's kid"),
    teamId: z
      .string()
      .regex(/^[A-Z0-9]{10}$/, "must be the 10-character Apple developer team ID")
      .describe("Apple developer team ID (PUSH_APNS_TEAM_ID), the JWT's iss"),
    url: httpsUrl("APNs production endpoint", "PUSH_APNS_URL", "https://api.push.apple.com"),
    sandboxUrl: httpsUrl("APNs sandbox endpoint", "PUSH_APNS_SANDBOX_URL", "https://api.sandbox.push.apple.com"),
  })
  .describe("Apple Push Notification service (token auth): alerts and VoIP pushes to devices registered as apns / apns-voip");

const fcmSchema = z
  .object({
    secretRef: providerSecretRef("Firebase service-account JSON", "service-account.json"),
    mountAs: mountAs("PUSH_FCM_SERVICE_ACCOUNT_FILE", "PUSH_FCM_SERVICE_ACCOUNT"),
    url: httpsUrl("FCM endpoint", "PUSH_FCM_URL", "https://fcm.googleapis.com"),
    tokenUrl: httpsUrl("OAuth token endpoint", "PUSH_FCM_TOKEN_URL", "the service account's token_uri"),
  })
  .describe("Firebase Cloud Messaging HTTP v1 (service-account OAuth) for devices registered as fcm");

const huaweiSchema = z
  .object({
    appId: z
      .string()
      .regex(/^[0-9]{1,32}$/, "must be the numeric AppGallery Connect app ID")
      .describe("AppGallery Connect app ID (PUSH_HUAWEI_APP_ID), the {appId} of v1/{appId}/messages:send"),
    clientId: z
      .string()
      .regex(/^[0-9]{1,32}$/, "must be a numeric OAuth client ID")
      .optional()
      .describe("OAuth client ID (PUSH_HUAWEI_CLIENT_ID); default the app ID"),
    secretRef: providerSecretRef("OAuth client secret (env PUSH_HUAWEI_CLIENT_SECRET)", "clientSecret"),
    url: httpsUrl("Push Kit endpoint", "PUSH_HUAWEI_URL", "https://push-api.cloud.huawei.com"),
    tokenUrl: httpsUrl("OAuth token endpoint", "PUSH_HUAWEI_TOKEN_URL", "https://oauth-login.cloud.huawei.com/oauth2/v3/token"),
  })
  .describe("Huawei Push Kit (client-credentials OAuth) for devices registered as huawei");

const xiaomiSchema = z
  .object({
    secretRef: providerSecretRef("MiPush AppSecret (env PUSH_XIAOMI_APP_SECRET)", "appSecret"),
    url: httpsUrl(
      "MiPush endpoint (a global host such as https://sgp-api.xmpush.global.xiaomi.com outside China)",
      "PUSH_XIAOMI_URL",
      "https://api.xmpush.xiaomi.com",
    ),
  })
  .describe("Xiaomi MiPush for devices registered as xiaomi");

const caRule = { rule: "has(self.configMapName) != has(self.secretName)", message: "give exactly one of configMapName, secretName" };

const caSchema = z
  .object({
    configMapName: objectName.optional().describe("ConfigMap holding the PEM bundle (e.g. one trust-manager writes)"),
    secretName: objectName.optional().describe("Secret holding the PEM bundle"),
    key: dataKey.default("ca.crt").describe("Key of the PEM bundle"),
  })
  .refine((ca) => (ca.configMapName === undefined) !== (ca.secretName === undefined), caRule.message)
  .meta({ "x-kubernetes-validations": [caRule] })
  .describe(
    "Extra CA certificates the push app trusts for provider connections (mounted as a file, PUSH_CA_FILE): an egress proxy that re-signs TLS",
  );

const providersSchema = z
  .object({
    apns: apnsSchema.optional(),
    fcm: fcmSchema.optional(),
    huawei: huaweiSchema.optional(),
    xiaomi: xiaomiSchema.optional(),
    ca: caSchema.optional(),
    timeoutMs: z
      .int()
      .min(100)
      .max(120_000)
      .optional()
      .describe("Timeout of one provider request, ms (PUSH_PROVIDER_TIMEOUT_MS); the app's default 10000 when unset"),
    retries: z
      .int()
      .min(0)
      .max(10)
      .optional()
      .describe("Retries of a provider request answered 429/5xx, with backoff (PUSH_PROVIDER_RETRIES); the app's default 3 when unset"),
  })
  .prefault({})
  .describe(
    "Push providers; a provider is on when it is given here (its credentials set). Devices of a provider that is off are skipped (im_push_skipped_total{reason=provider_disabled})",
  );

// Bounds as the push app's worker settings (apps/push/src/config.ts) check them, so a value the API server accepts starts the app.
const workerSchema = z
  .object({
    batch: z.int().min(1).max(10_000).optional().describe("Entries read per XREADGROUP / XAUTOCLAIM call (PUSH_BATCH; default 64)"),
    concurrency: z.int().min(1).max(10_000).optional().describe("Provider sends in flight per pod (PUSH_CONCURRENCY; default 64)"),
    claimIdleMs: z
      .int()
      .min(100)
      .max(86_400_000)
      .optional()
      .describe("Pending entries idle this long (a dead pod's) are claimed by another pod, ms (PUSH_CLAIM_IDLE_MS; default 30000)"),
    maxDeliveries: z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe("Attempts of one notification before it is logged failed (PUSH_MAX_DELIVERIES; default 5)"),
    alertTtlSeconds: z
      .int()
      .min(0)
      .max(2_419_200)
      .optional()
      .describe("How long providers keep an undelivered alert, s (PUSH_ALERT_TTL_SECONDS; default 86400)"),
    callTtlSeconds: z
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe("How long providers keep an undelivered call invite or cancel, s (PUSH_CALL_TTL_SECONDS; default 60)"),
  })
  .prefault({})
  .describe("Settings of each push worker (unset: the app's defaults)");

const lagRule = {
  rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
  message: "minReplicas must not exceed maxReplicas",
};

const pushAutoscalingSchema = z
  .object({
    ...autoscalingShape(pushDefaults),
    targetCPUUtilizationPercentage: z
      .int()
      .min(1)
      .max(100)
      .default(80)
      .describe("Average CPU use (percent of requests) to keep; the push autoscaler always scales on CPU"),
    targetQueueLagPerPod: z
      .int()
      .min(1)
      .optional()
      .describe(
        "Unacknowledged push queue entries per pod to keep, besides CPU: an External metric, which needs prometheus-adapter (or another external metrics API) serving queueLagMetric; see docs/kubernetes.md",
      ),
    queueLagMetric: metricName
      .default(pushQueueLagMetric)
      .describe("Name of the External metric of the queue lag, as the adapter serves it"),
    queueLagSelector: labelMap
      .optional()
      .describe("Labels that select this cluster's queue lag in the external metrics API; default service: <cluster>-push"),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, lagRule.message)
  .meta({ "x-kubernetes-validations": [lagRule] })
  .prefault({})
  .describe("HorizontalPodAutoscaler (autoscaling/v2) on CPU and, with targetQueueLagPerPod, on the push queue lag");

/** spec.push: the offline-push worker (apps/push), its providers and the queue every message path writes to. */
export const pushSectionSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Run the push app and set PUSH_ENABLED=true on every app, so stored messages and notices queue offline pushes"),
    ...componentShape(pushDefaults),
    autoscaling: pushAutoscalingSchema,
    providers: providersSchema,
    worker: workerSchema,
    queueMaxLength: pushQueueSettings.PUSH_QUEUE_MAX_LENGTH.describe(
      "Bound of each push stream (PUSH_QUEUE_MAX_LENGTH of every app): the oldest entries are dropped beyond it during a long outage",
    ),
    logRetentionDays: z
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe("Push log records older than this are removed by the scheduler (PUSH_LOG_RETENTION_DAYS; default 30)"),
  })
  .prefault({})
  .describe("Offline push (apps/push): APNs, FCM, Huawei and Xiaomi notifications to users with no live connection");

export type PushSection = z.output<typeof pushSectionSchema>;
