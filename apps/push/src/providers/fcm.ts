import { createPrivateKey } from "node:crypto";
import type { PushNotification, PushProvider, PushTarget } from "@im/push";
import type { Logger } from "@im/telemetry";
import { SignJWT } from "jose";
import { z } from "zod";
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
import { type AccessToken, AccessTokenCache } from "./tokens.js";

/** The fields of a Google service-account JSON the client reads (zod-checked at start-up). */
export const serviceAccountSchema = z.object({
  project_id: z.string().min(1),
  private_key_id: z.string().min(1),
  private_key: z.string().includes("PRIVATE KEY"),
  client_email: z.string().min(3),
  token_uri: z.string().url().default("https://oauth2.googleapis.com/token"),
});
export type ServiceAccount = z.output<typeof serviceAccountSchema>;

/** FCM's message limit, bytes (the message without its token). */
export const FCM_MAX_MESSAGE = 4096;
const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

export interface FcmClientOptions {
  account: ServiceAccount;
  url: string;
  /** Default the account's token_uri. */
  tokenUrl?: string;
  ca?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Pick<Logger, "warn" | "debug">;
  metrics?: ProviderMetrics;
  now?: () => number;
}

/** A token route refusal (`retryable` for 5xx and network errors). */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() });

/** Reads an OAuth token answer (FCM and Huawei routes); throws TokenError. */
export function readTokenAnswer(answer: HttpAnswer, now: number): AccessToken {
  if (answer.status !== 200)
    throw new TokenError(
      `token route answered ${answer.status}: ${answer.body.slice(0, 200)}`,
      answer.status >= 500 || answer.status === 429,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new TokenError("token route answered no JSON", true);
  }
  const token = tokenAnswer.safeParse(parsed);
  if (!token.success) throw new TokenError("token route answered no access_token", false);
  return { token: token.data.access_token, expiresAt: now + token.data.expires_in * 1000 };
}

/**
 * Maps a notification to an FCM HTTP v1 message (Firebase, "About FCM messages"): alerts are notification
 * messages {title, body} with the data, android priority HIGH/NORMAL, `ttl` (seconds left), `collapse_key` and
 * the notification `tag` = collapseId, `notification_count` = badge; call invites and their cancellation are
 * data-only HIGH-priority messages (the app rings or stops ringing itself), with title/body in the data. The
 * body (then title) is cut to keep the message within 4096 bytes; undefined when the data alone exceeds it.
 */
export function planFcmMessage(target: PushTarget, notification: PushNotification, now: number): Record<string, unknown> | undefined {
  const alert = notification.kind === "alert";
  const build = (title: string, body: string) => {
    const android: Record<string, unknown> = {
      priority: alert && notification.priority === "normal" ? "NORMAL" : "HIGH",
      ttl: `${secondsLeft(notification.expiresAt, now)}s`,
    };
    const message: Record<string, unknown> = { token: target.token, android };
    if (alert) {
      message.notification = { title, body };
      message.data = notification.data;
      android.collapse_key = notification.collapseId;
      android.notification = {
        tag: notification.collapseId,
        ...(notification.badge === undefined ? {} : { notification_count: notification.badge }),
      };
    } else {
      message.data = { ...notification.data, title, body };
    }
    return message;
  };
  const size = (message: Record<string, unknown>) => {
    const { token: _token, ...rest } = message;
    return Buffer.byteLength(JSON.stringify(rest));
  };
  return fitPayload(notification, FCM_MAX_MESSAGE, build, size);
}

const fcmErrorSchema = z.object({
  error: z.object({
    status: z.string().optional(),
    message: z.string().optional(),
    details: z
      .array(
        z
          .object({ errorCode: z.string().optional(), fieldViolations: z.array(z.object({ field: z.string().optional() })).optional() })
          .loose(),
      )
      .optional(),
  }),
});

/** The FcmError code and the BadRequest fields of an error answer. */
function readFcmError(answer: HttpAnswer): { code: string; fields: string[] } {
  try {
    const parsed = fcmErrorSchema.parse(JSON.parse(answer.body));
    const details = parsed.error.details ?? [];
    const code = details.find((detail) => detail.errorCode)?.errorCode ?? parsed.error.status ?? `HTTP ${answer.status}`;
    const fields = details
      .flatMap((detail) => detail.fieldViolations ?? [])
      .flatMap((violation) => (violation.field ? [violation.field] : []));
    return { code, fields };
  } catch {
    return { code: `HTTP ${answer.status}`, fields: [] };
  }
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * The FCM HTTP v1 client: the service account's RS256 assertion {iss: client_email, scope firebase.messaging,
 * aud: token route, iat, exp = iat + 1 h} is exchanged for an access token, cached until 5 minutes before it
 * expires (a 401 drops it and sends again once); `POST /v1/projects/<id>/messages:send`. UNREGISTERED (404) and
 * an INVALID_ARGUMENT about `message.token` prune; QUOTA_EXCEEDED (429), 5xx are retried honouring Retry-After;
 * SENDER_ID_MISMATCH fails (a wrong project must not prune every token). Serves `fcm` devices.
 */
export function createFcmProvider(options: FcmClientOptions): PushProvider {
  const now = options.now ?? Date.now;
  const http = createHttpsClient({ ca: options.ca, timeoutMs: options.timeoutMs });
  const key = createPrivateKey(options.account.private_key);
  const tokenUrl = options.tokenUrl ?? options.account.token_uri;
  const sendUrl = `${options.url}/v1/projects/${encodeURIComponent(options.account.project_id)}/messages:send`;
  const tokens = new AccessTokenCache(async () => {
    const iat = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: "RS256", kid: options.account.private_key_id, typ: "JWT" })
      .setIssuer(options.account.client_email)
      .setAudience(tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key);
    const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
    let answer: HttpAnswer;
    try {
      answer = await http.post(tokenUrl, { "content-type": "application/x-www-form-urlencoded" }, form.toString());
    } catch (error) {
      throw new TokenError(`token route unreachable: ${(error as Error).message}`, true);
    }
    return readTokenAnswer(answer, now());
  }, now);

  async function attempt(message: Record<string, unknown>, signal: AbortSignal | undefined): Promise<AttemptResult> {
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
        answer = await timed(options.metrics, "fcm", () =>
          http.post(
            sendUrl,
            { authorization: `Bearer ${accessToken}`, "content-type": "application/json; UTF-8" },
            JSON.stringify({ message }),
            signal,
          ),
        );
      } catch (error) {
        return { again: `network: ${(error as Error).message}` };
      }
      if (answer.status === 200) {
        let name: unknown;
        try {
          name = (JSON.parse(answer.body) as { name?: unknown }).name;
        } catch {
          name = undefined; // accepted; the message name is only for the push log
        }
        return { done: { status: "sent", ...(typeof name === "string" ? { providerId: name } : {}) } };
      }
      const { code, fields } = readFcmError(answer);
      if (answer.status === 401) {
        tokens.invalidate(accessToken);
        if (resend === 0) continue;
        return { done: { status: "failed", reason: code } };
      }
      if (code === "UNREGISTERED" || answer.status === 404) return { done: { status: "invalid-token", reason: code } };
      if (answer.status === 400 && fields.includes("message.token"))
        return { done: { status: "invalid-token", reason: `${code}: message.token` } };
      if (RETRY_STATUS.has(answer.status)) {
        const after = retryAfterMs(answer.headers["retry-after"], now());
        return { again: code, ...(after === undefined ? {} : { retryAfterMs: after }) };
      }
      return { done: { status: "failed", reason: fields.length > 0 ? `${code}: ${fields.join(",")}` : code } };
    }
  }

  return {
    serves: ["fcm"],
    async send(target, notification, signal, control) {
      const message = planFcmMessage(target, notification, now());
      if (!message) return { status: "failed", reason: "PayloadTooLarge", attempts: 0 };
      return withRetries(
        { ...options.retry, now },
        notification.expiresAt,
        signal,
        async () => {
          // the ttl is counted from each attempt
          const fresh = planFcmMessage(target, notification, now()) ?? message;
          return attempt(fresh, signal);
        },
        control,
      );
    },
    async close() {
      http.close();
    },
  };
}
