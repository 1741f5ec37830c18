import { createHash } from "node:crypto";
import type { PushNotification, PushProvider, PushTarget } from "@im/push";
import type { Logger } from "@im/telemetry";
import { z } from "zod";
import {
  type AttemptResult,
  createHttpsClient,
  cutChars,
  type HttpAnswer,
  type ProviderMetrics,
  type RetryPolicy,
  retryAfterMs,
  timed,
  withRetries,
} from "./http.js";

/** MiPush limits: title under 50 characters, description under 128, payload 4096 bytes. */
export const XIAOMI_MAX_TITLE = 50;
export const XIAOMI_MAX_DESCRIPTION = 128;
export const XIAOMI_MAX_PAYLOAD = 4096;

export interface XiaomiClientOptions {
  appSecret: string;
  url: string;
  ca?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Pick<Logger, "warn" | "debug">;
  metrics?: ProviderMetrics;
  now?: () => number;
}

/** A stable notify_id (0..2^31−1) for a collapse id: MiPush replaces a shown notification with the same notify_id. */
export function xiaomiNotifyId(collapseId: string): number {
  return createHash("sha256").update(collapseId).digest().readUInt32BE(0) & 0x7fffffff;
}

/**
 * Maps a notification to MiPush form fields (Xiaomi server API, `v3/message/regid`): alerts are notifications
 * (pass_through 0, title < 50 and description < 128 characters, cut with "…", notify_type −1 = default sound,
 * vibration and lights, notify_id from the collapse id); call invites and their cancellation are pass-through
 * (pass_through 1) so the app handles them; `payload` is the data as JSON, `time_to_live` the ms left,
 * `restricted_package_name` the device's app id. Undefined when the payload exceeds 4096 bytes.
 */
export function planXiaomiFields(target: PushTarget, notification: PushNotification, now: number): Record<string, string> | undefined {
  const alert = notification.kind === "alert";
  const data = alert ? notification.data : { ...notification.data, title: notification.title, body: notification.body };
  const payload = JSON.stringify(data);
  if (Buffer.byteLength(payload) > XIAOMI_MAX_PAYLOAD) return undefined;
  const fields: Record<string, string> = {
    registration_id: target.token,
    restricted_package_name: target.appId,
    pass_through: alert ? "0" : "1",
    payload,
    time_to_live: String(Math.max(0, notification.expiresAt - now)),
  };
  if (alert) {
    fields.title = cutChars(notification.title || notification.body || " ", XIAOMI_MAX_TITLE);
    fields.description = cutChars(notification.body || notification.title || " ", XIAOMI_MAX_DESCRIPTION);
    fields.notify_type = "-1";
    fields.notify_id = String(xiaomiNotifyId(notification.collapseId));
    fields["extra.notify_foreground"] = "1";
  }
  return fields;
}

const answerSchema = z.object({
  result: z.string().optional(),
  code: z.coerce.number(),
  reason: z.string().optional(),
  description: z.string().optional(),
  data: z.object({ id: z.string().optional(), bad_regids: z.string().optional() }).loose().optional(),
});

/** MiPush codes worth retrying: 10002/10003 server busy, 10027 too frequent, 10037 resend later. */
const RETRY_CODES = new Set([10002, 10003, 10027, 10037]);
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * The Xiaomi MiPush client: `POST /v3/message/regid`, form-urlencoded, `Authorization: key=<AppSecret>`. Code 0
 * with the token in `data.bad_regids`, or 20301 (no valid targets), prune; 10002/10003/10027/10037, HTTP 429 and
 * 5xx are retried honouring Retry-After; 21301 (authentication) and other codes fail. Serves `xiaomi` devices.
 */
export function createXiaomiProvider(options: XiaomiClientOptions): PushProvider {
  const now = options.now ?? Date.now;
  const http = createHttpsClient({ ca: options.ca, timeoutMs: options.timeoutMs });
  const sendUrl = `${options.url}/v3/message/regid`;

  async function attempt(target: PushTarget, fields: Record<string, string>, signal: AbortSignal | undefined): Promise<AttemptResult> {
    let answer: HttpAnswer;
    try {
      answer = await timed(options.metrics, "xiaomi", () =>
        http.post(
          sendUrl,
          { authorization: `key=${options.appSecret}`, "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
          new URLSearchParams(fields).toString(),
          signal,
        ),
      );
    } catch (error) {
      return { again: `network: ${(error as Error).message}` };
    }
    let parsed: z.output<typeof answerSchema> | undefined;
    try {
      parsed = answerSchema.parse(JSON.parse(answer.body));
    } catch {
      parsed = undefined;
    }
    const code = parsed?.code;
    const reason = code === undefined ? `HTTP ${answer.status}` : `${code} ${parsed?.reason ?? parsed?.description ?? ""}`.trim();
    if (RETRY_STATUS.has(answer.status) || (code !== undefined && RETRY_CODES.has(code))) {
      const after = retryAfterMs(answer.headers["retry-after"], now());
      return { again: reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
    }
    if (answer.status === 200 && code === 0) {
      const bad = (parsed?.data?.bad_regids ?? "").split(",");
      if (bad.includes(target.token)) return { done: { status: "invalid-token", reason: "bad_regids" } };
      const id = parsed?.data?.id;
      return { done: { status: "sent", ...(id ? { providerId: id } : {}) } };
    }
    if (code === 20301) return { done: { status: "invalid-token", reason } };
    return { done: { status: "failed", reason } };
  }

  return {
    serves: ["xiaomi"],
    async send(target, notification, signal, control) {
      if (!planXiaomiFields(target, notification, now())) return { status: "failed", reason: "PayloadTooLarge", attempts: 0 };
      return withRetries(
        { ...options.retry, now },
        notification.expiresAt,
        signal,
        async () => {
          const fields = planXiaomiFields(target, notification, now());
          if (!fields) return { done: { status: "failed", reason: "PayloadTooLarge" } };
          return attempt(target, fields, signal);
        },
        control,
      );
    },
    async close() {
      http.close();
    },
  };
}
