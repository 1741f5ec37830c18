import type { PushNotification, PushProvider, PushTarget } from "@im/push";
import type { Logger } from "@im/telemetry";
import { z } from "zod";
import { readTokenAnswer, TokenError } from "./fcm.js";
import {
  type AttemptResult,
  createHttpsClient,
  fitPayload,
  type HttpAnswer,
  type ProviderMetrics,
  type RetryPolicy,
  retryAfterMs,
  secondsLeft,
  timed,
  withRetries,
} from "./http.js";
import { AccessTokenCache } from "./tokens.js";

/** Huawei's message limit, bytes (tokens not counted). */
export const HUAWEI_MAX_MESSAGE = 4096;

export interface HuaweiClientOptions {
  appId: string;
  clientId: string;
  clientSecret: string;
  url: string;
  tokenUrl: string;
  ca?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Pick<Logger, "warn" | "debug">;
  metrics?: ProviderMetrics;
  now?: () => number;
}

/**
 * Maps a notification to a Huawei Push Kit v1 message (Huawei, "Downlink Message Sending API"): alerts are
 * notification messages (android.notification {title, body, click_action type 3 = open the app, tag =
 * collapseId}) with urgency HIGH/NORMAL and the data as the pass-through string; call invites and their
 * cancellation are data-only (pass-through) messages, urgency HIGH, category VOIP. `ttl` is the seconds left.
 * The body (then the title) is cut to fit 4096 bytes; undefined when the data alone exceeds it. No badge: Huawei
 * needs the app's launcher class for it.
 */
export function planHuaweiMessage(target: PushTarget, notification: PushNotification, now: number): Record<string, unknown> | undefined {
  const alert = notification.kind === "alert";
  const build = (title: string, body: string) => {
    const android: Record<string, unknown> = {
      urgency: alert && notification.priority === "normal" ? "NORMAL" : "HIGH",
      ttl: `${secondsLeft(notification.expiresAt, now)}s`,
    };
    if (alert) {
      android.notification = { title, body, click_action: { type: 3 }, tag: notification.collapseId };
      return { token: [target.token], data: JSON.stringify(notification.data), android };
    }
    android.category = "VOIP";
    return { token: [target.token], data: JSON.stringify({ ...notification.data, title, body }), android };
  };
  const size = (message: Record<string, unknown>) => {
    const { token: _token, ...rest } = message;
    return Buffer.byteLength(JSON.stringify(rest));
  };
  return fitPayload(notification, HUAWEI_MAX_MESSAGE, build, size);
}

const answerSchema = z.object({ code: z.coerce.string(), msg: z.string().optional(), requestId: z.coerce.string().optional() });
const partialSchema = z.object({ illegal_tokens: z.array(z.string()).default([]) });

/** Codes meaning the OAuth token is bad (refresh and send again once). */
const AUTH_CODES = new Set(["80200001", "80200003"]);
/** Huawei's internal error, worth retrying. */
const RETRY_CODES = new Set(["81000001"]);
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * The Huawei Push Kit client: a client-credentials access token (cached until 5 minutes before expiry; 401 or
 * 80200001/80200003 drops it and sends again once), `POST /v1/<appId>/messages:send` with one token. 80300007
 * (all tokens invalid) and 80100000 listing the token in `illegal_tokens` prune; 81000001, HTTP 429 and 5xx
 * (503 = flow control) are retried honouring Retry-After. Serves `huawei` devices.
 */
export function createHuaweiProvider(options: HuaweiClientOptions): PushProvider {
  const now = options.now ?? Date.now;
  const http = createHttpsClient({ ca: options.ca, timeoutMs: options.timeoutMs });
  const sendUrl = `${options.url}/v1/${encodeURIComponent(options.appId)}/messages:send`;
  const tokens = new AccessTokenCache(async () => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: options.clientId,
      client_secret: options.clientSecret,
    });
    let answer: HttpAnswer;
    try {
      answer = await http.post(options.tokenUrl, { "content-type": "application/x-www-form-urlencoded" }, form.toString());
    } catch (error) {
      throw new TokenError(`token route unreachable: ${(error as Error).message}`, true);
    }
    return readTokenAnswer(answer, now());
  }, now);

  async function attempt(target: PushTarget, message: Record<string, unknown>, signal: AbortSignal | undefined): Promise<AttemptResult> {
    for (let resend = 0; ; resend += 1) {
      let accessToken: string;
      try {
        accessToken = await tokens.get();
      } catch (error) {
        const refused = error instanceof TokenError && !error.retryable;
        return refused ? { done: { status: "failed", reason: (error as Error).message } } : { again: (error as Error).message };
      }
      let answer: HttpAnswer;
      try {
        answer = await timed(options.metrics, "huawei", () =>
          http.post(
            sendUrl,
            { authorization: `Bearer ${accessToken}`, "content-type": "application/json; charset=UTF-8" },
            JSON.stringify({ validate_only: false, message }),
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
      const code = parsed?.code ?? `HTTP ${answer.status}`;
      const reason = parsed?.msg ? `${code} ${parsed.msg}` : code;
      if (answer.status === 401 || AUTH_CODES.has(code)) {
        tokens.invalidate(accessToken);
        if (resend === 0) continue;
        return { done: { status: "failed", reason } };
      }
      if (RETRY_STATUS.has(answer.status) || RETRY_CODES.has(code)) {
        const after = retryAfterMs(answer.headers["retry-after"], now());
        return { again: reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
      }
      const providerId = parsed?.requestId ? { providerId: parsed.requestId } : {};
      if (code === "80000000") return { done: { status: "sent", ...providerId } };
      if (code === "80300007") return { done: { status: "invalid-token", reason: code } };
      if (code === "80100000") {
        let illegal: string[] = [];
        try {
          illegal = partialSchema.parse(JSON.parse(parsed?.msg ?? "{}")).illegal_tokens;
        } catch {
          illegal = [];
        }
        if (illegal.includes(target.token)) return { done: { status: "invalid-token", reason: `${code} illegal_tokens` } };
        return { done: { status: "sent", ...providerId } };
      }
      return { done: { status: "failed", reason } };
    }
  }

  return {
    serves: ["huawei"],
    async send(target, notification, signal, control) {
      if (!planHuaweiMessage(target, notification, now())) return { status: "failed", reason: "PayloadTooLarge", attempts: 0 };
      return withRetries(
        { ...options.retry, now },
        notification.expiresAt,
        signal,
        async () => {
          const message = planHuaweiMessage(target, notification, now());
          if (!message) return { done: { status: "failed", reason: "PayloadTooLarge" } };
          return attempt(target, message, signal);
        },
        control,
      );
    },
    async close() {
      http.close();
    },
  };
}
