import { envInt } from "@im/config";
import { z } from "zod";

const url = () =>
  z
    .string()
    .url()
    .refine((value) => /^https?:\/\//.test(value), "must be an https:// (or http://) URL")
    .transform((value) => value.replace(/\/+$/, ""));
const httpsUrl = (fallback: string) => url().default(fallback);
const text = () => z.string().min(1).optional();

/**
 * Settings of the push providers (spread into the push app's config). A provider is enabled when its
 * credentials are set; its endpoints are settings so tests and egress proxies can point them elsewhere.
 * Secrets come from Kubernetes Secrets (the operator mounts files or sets env, docs/kubernetes.md).
 */
export const pushProviderSettings = {
  PUSH_APNS_KEY_FILE: text().describe("APNs token-auth key: path of the .p8 file (PKCS#8 PEM, P-256) Apple issued; or PUSH_APNS_KEY"),
  PUSH_APNS_KEY: text().describe("APNs token-auth key as PEM text (secret); or PUSH_APNS_KEY_FILE"),
  PUSH_APNS_KEY_ID: text().describe("APNs key id (10 characters, the JWT `kid`)"),
  PUSH_APNS_TEAM_ID: text().describe("Apple developer team id (the JWT `iss`)"),
  PUSH_APNS_URL: httpsUrl("https://api.push.apple.com").describe("APNs production host (HTTP/2)"),
  PUSH_APNS_SANDBOX_URL: httpsUrl("https://api.sandbox.push.apple.com").describe(
    "APNs development host, for devices registered as sandbox",
  ),
  PUSH_FCM_SERVICE_ACCOUNT_FILE: text().describe("FCM: path of the Google service-account JSON; or PUSH_FCM_SERVICE_ACCOUNT"),
  PUSH_FCM_SERVICE_ACCOUNT: text().describe("FCM: the Google service-account JSON text (secret); or PUSH_FCM_SERVICE_ACCOUNT_FILE"),
  PUSH_FCM_URL: httpsUrl("https://fcm.googleapis.com").describe("FCM HTTP v1 host (POST /v1/projects/<project>/messages:send)"),
  PUSH_FCM_TOKEN_URL: url()
    .optional()
    .describe("OAuth token route the service-account assertion is exchanged at; default the account's token_uri"),
  PUSH_HUAWEI_APP_ID: text().describe("Huawei Push Kit app id (AppGallery Connect); enables Huawei with PUSH_HUAWEI_CLIENT_SECRET"),
  PUSH_HUAWEI_CLIENT_ID: text().describe("Huawei OAuth client id; default PUSH_HUAWEI_APP_ID"),
  PUSH_HUAWEI_CLIENT_SECRET: text().describe("Huawei OAuth client secret (secret)"),
  PUSH_HUAWEI_URL: httpsUrl("https://push-api.cloud.huawei.com").describe("Huawei Push Kit host (POST /v1/<appId>/messages:send)"),
  PUSH_HUAWEI_TOKEN_URL: httpsUrl("https://oauth-login.cloud.huawei.com/oauth2/v3/token").describe(
    "Huawei OAuth client-credentials token route",
  ),
  PUSH_XIAOMI_APP_SECRET: text().describe("Xiaomi MiPush AppSecret (secret, sent as `Authorization: key=`); enables Xiaomi"),
  PUSH_XIAOMI_URL: httpsUrl("https://api.xmpush.xiaomi.com").describe(
    "MiPush host (POST /v3/message/regid); global apps use sgp-/fr-/ru-/idmb-api.xmpush.global.xiaomi.com",
  ),
  PUSH_CA_FILE: text().describe("Extra CA certificates (PEM) trusted for provider connections: tests, TLS-inspecting egress proxies"),
  PUSH_PROVIDER_TIMEOUT_MS: envInt(10_000, 100, 120_000).describe("Timeout of one provider request (and of a token request), ms"),
  PUSH_PROVIDER_RETRIES: envInt(3, 0, 10).describe(
    "Retries of one send inside the provider client after 429/5xx/network errors (exponential backoff, Retry-After honoured); then the worker re-delivers",
  ),
};

/** The provider settings once parsed. */
export type PushProviderSettings = z.output<z.ZodObject<typeof pushProviderSettings>>;
