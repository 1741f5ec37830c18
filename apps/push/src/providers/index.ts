import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "@im/config";
import type { PushProvider } from "@im/push";
import type { Logger } from "@im/telemetry";
import { createApnsProvider } from "./apns.js";
import { createFcmProvider, type ServiceAccount, serviceAccountSchema } from "./fcm.js";
import { DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_WAIT_MS, type ProviderMetrics, type RetryPolicy } from "./http.js";
import { createHuaweiProvider } from "./huawei.js";
import type { PushProviderSettings } from "./settings.js";
import { createXiaomiProvider } from "./xiaomi.js";

export { APNS_MAX_PAYLOAD, APNS_MAX_VOIP_PAYLOAD, apnsCollapseId, planApnsRequest } from "./apns.js";
export { planFcmMessage } from "./fcm.js";
export { EXPIRED_REASON, type ProviderMetrics, type RetryPolicy, retryAfterMs } from "./http.js";
export { planHuaweiMessage } from "./huawei.js";
export { type PushProviderSettings, pushProviderSettings } from "./settings.js";
export { APNS_TOKEN_MIN_INTERVAL_MS, APNS_TOKEN_REFRESH_MS } from "./tokens.js";
export { planXiaomiFields, xiaomiNotifyId } from "./xiaomi.js";

/** What `createProviders` needs besides the settings. */
export interface ProviderDeps {
  logger: Pick<Logger, "warn" | "info" | "debug">;
  /** `requestDuration`: im_push_provider_request_duration_seconds{provider} (apns, fcm, huawei, xiaomi). */
  metrics?: ProviderMetrics;
  /** Epoch ms clock for tokens and ttl (tests move it). */
  now?: () => number;
  /** Backoff tuning (tests shorten it); `retries` comes from PUSH_PROVIDER_RETRIES. */
  backoff?: Omit<RetryPolicy, "retries" | "now">;
}

/**
 * The longest one `send` can take with these settings, ms: every attempt may fetch an OAuth token and send twice
 * (a refused token is replaced and the send repeated once), each up to PUSH_PROVIDER_TIMEOUT_MS, and between
 * attempts the client waits at most the longest backoff or Retry-After it honours. A worker's lease on an entry
 * should be at least this (the caller's abort signal cuts a send short anyway).
 */
export function longestSendMs(
  config: Pick<PushProviderSettings, "PUSH_PROVIDER_TIMEOUT_MS" | "PUSH_PROVIDER_RETRIES">,
  backoff: ProviderDeps["backoff"] = {},
): number {
  const wait = Math.max(backoff.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, backoff.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
  return (config.PUSH_PROVIDER_RETRIES + 1) * 3 * config.PUSH_PROVIDER_TIMEOUT_MS + config.PUSH_PROVIDER_RETRIES * wait;
}

function readSecret(file: string | undefined, inline: string | undefined, names: string, problems: string[]): string | undefined {
  if (inline) return inline;
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    problems.push(`${names}: cannot read ${file} (${(error as Error).message})`);
    return undefined;
  }
}

/**
 * Makes one client per provider whose credentials are set (APNs: key + key id + team id; FCM: service account;
 * Huawei: app id + client secret; Xiaomi: app secret), each trusting PUSH_CA_FILE besides the system CAs and
 * retrying PUSH_PROVIDER_RETRIES times. Reads the key and account files now. Throws ConfigError naming every
 * incomplete or unreadable credential. Devices of a provider with no client are skipped by the push app
 * (im_push_skipped_total{reason="provider_disabled"}).
 */
export function createProviders(config: PushProviderSettings, deps: ProviderDeps): PushProvider[] {
  const problems: string[] = [];
  let ca: string | undefined;
  if (config.PUSH_CA_FILE) {
    try {
      ca = readFileSync(config.PUSH_CA_FILE, "utf8");
    } catch (error) {
      problems.push(`PUSH_CA_FILE: cannot read ${config.PUSH_CA_FILE} (${(error as Error).message})`);
    }
  }
  const retry: RetryPolicy = { ...deps.backoff, retries: config.PUSH_PROVIDER_RETRIES };
  const common = { ca, timeoutMs: config.PUSH_PROVIDER_TIMEOUT_MS, retry, logger: deps.logger, metrics: deps.metrics, now: deps.now };
  const providers: PushProvider[] = [];

  const apnsKeyText = readSecret(config.PUSH_APNS_KEY_FILE, config.PUSH_APNS_KEY, "PUSH_APNS_KEY_FILE", problems);
  if (apnsKeyText || config.PUSH_APNS_KEY_ID || config.PUSH_APNS_TEAM_ID) {
    if (!config.PUSH_APNS_KEY_ID) problems.push("PUSH_APNS_KEY_ID: required with an APNs key");
    if (!config.PUSH_APNS_TEAM_ID) problems.push("PUSH_APNS_TEAM_ID: required with an APNs key");
    if (!apnsKeyText && !config.PUSH_APNS_KEY_FILE)
      problems.push("PUSH_APNS_KEY_FILE: an APNs key (file or PUSH_APNS_KEY) is required with its ids");
    let key: KeyObject | undefined;
    if (apnsKeyText) {
      try {
        key = createPrivateKey(apnsKeyText);
        if (key.asymmetricKeyType !== "ec") problems.push("PUSH_APNS_KEY: not an EC (P-256) key");
      } catch (error) {
        problems.push(`PUSH_APNS_KEY: not a PEM private key (${(error as Error).message})`);
      }
    }
    if (key && config.PUSH_APNS_KEY_ID && config.PUSH_APNS_TEAM_ID) {
      providers.push(
        createApnsProvider({
          ...common,
          key,
          keyId: config.PUSH_APNS_KEY_ID,
          teamId: config.PUSH_APNS_TEAM_ID,
          productionUrl: config.PUSH_APNS_URL,
          sandboxUrl: config.PUSH_APNS_SANDBOX_URL,
        }),
      );
    }
  }

  const accountText = readSecret(
    config.PUSH_FCM_SERVICE_ACCOUNT_FILE,
    config.PUSH_FCM_SERVICE_ACCOUNT,
    "PUSH_FCM_SERVICE_ACCOUNT_FILE",
    problems,
  );
  if (accountText) {
    let account: ServiceAccount | undefined;
    try {
      const parsed = serviceAccountSchema.safeParse(JSON.parse(accountText));
      if (parsed.success) account = parsed.data;
      else
        problems.push(
          `PUSH_FCM_SERVICE_ACCOUNT: ${parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`,
        );
    } catch {
      problems.push("PUSH_FCM_SERVICE_ACCOUNT: not JSON");
    }
    if (account) providers.push(createFcmProvider({ ...common, account, url: config.PUSH_FCM_URL, tokenUrl: config.PUSH_FCM_TOKEN_URL }));
  }

  if (config.PUSH_HUAWEI_APP_ID || config.PUSH_HUAWEI_CLIENT_SECRET) {
    if (!config.PUSH_HUAWEI_APP_ID) problems.push("PUSH_HUAWEI_APP_ID: required with PUSH_HUAWEI_CLIENT_SECRET");
    if (!config.PUSH_HUAWEI_CLIENT_SECRET) problems.push("PUSH_HUAWEI_CLIENT_SECRET: required with PUSH_HUAWEI_APP_ID");
    if (config.PUSH_HUAWEI_APP_ID && config.PUSH_HUAWEI_CLIENT_SECRET) {
      providers.push(
        createHuaweiProvider({
          ...common,
          appId: config.PUSH_HUAWEI_APP_ID,
          clientId: config.PUSH_HUAWEI_CLIENT_ID ?? config.PUSH_HUAWEI_APP_ID,
          clientSecret: config.PUSH_HUAWEI_CLIENT_SECRET,
          url: config.PUSH_HUAWEI_URL,
          tokenUrl: config.PUSH_HUAWEI_TOKEN_URL,
        }),
      );
    }
  }

  if (config.PUSH_XIAOMI_APP_SECRET)
    providers.push(createXiaomiProvider({ ...common, appSecret: config.PUSH_XIAOMI_APP_SECRET, url: config.PUSH_XIAOMI_URL }));

  if (problems.length > 0) {
    for (const provider of providers) void provider.close();
    throw new ConfigError(problems);
  }
  deps.logger.info({ providers: providers.flatMap((provider) => provider.serves) }, "push providers enabled");
  return providers;
}
