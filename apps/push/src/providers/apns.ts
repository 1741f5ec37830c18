import { createHash, type KeyObject } from "node:crypto";
import { type ClientHttp2Session, connect, constants } from "node:http2";
import type { PushNotification, PushProvider, PushTarget } from "@im/push";
import type { Logger } from "@im/telemetry";
import { type AttemptResult, fitPayload, type ProviderMetrics, type RetryPolicy, retryAfterMs, timed, withRetries } from "./http.js";
import { ApnsProviderToken } from "./tokens.js";

/** Largest APNs payloads, bytes (Apple: 4 KB for notifications, 5 KB for VoIP). */
export const APNS_MAX_PAYLOAD = 4096;
export const APNS_MAX_VOIP_PAYLOAD = 5120;
/** Apple's limit of `apns-collapse-id`, bytes. */
export const APNS_MAX_COLLAPSE_ID = 64;

export interface ApnsClientOptions {
  key: KeyObject;
  keyId: string;
  teamId: string;
  productionUrl: string;
  sandboxUrl: string;
  ca?: string;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Pick<Logger, "warn" | "debug">;
  metrics?: ProviderMetrics;
  now?: () => number;
}

/** The headers and body of one APNs request. */
export interface ApnsRequestPlan {
  headers: Record<string, string>;
  payload: string;
}

/** Why a notification could not become an APNs request (no request is made). */
export class ApnsPlanError extends Error {}

/** `collapseId` as Apple takes it: itself when ≤ 64 bytes, else its SHA-256 hex (64 bytes, still one id per conversation). */
export function apnsCollapseId(collapseId: string): string {
  return Buffer.byteLength(collapseId) <= APNS_MAX_COLLAPSE_ID ? collapseId : createHash("sha256").update(collapseId).digest("hex");
}

/**
 * Maps a notification to APNs (Apple, "Sending notification requests to APNs"): an `apns-voip` device gets push
 * type voip on topic `<appId>.voip` (calls and their cancellation; priority 10); an `apns` device gets alerts (and
 * call invites) as push type alert on topic `<appId>` with priority 10 (high) or 5, and call-cancel as a silent
 * background push (priority 5, content-available). `apns-expiration` is `expiresAt` in epoch seconds,
 * `apns-collapse-id` groups alerts. The body (then the title) is cut to fit 4096 bytes (5120 VoIP); throws
 * ApnsPlanError when the data alone is too large or an alert is aimed at a VoIP token.
 */
export function planApnsRequest(target: PushTarget, notification: PushNotification): ApnsRequestPlan {
  const voip = target.provider === "apns-voip";
  if (voip && notification.kind === "alert") throw new ApnsPlanError("AlertToVoipToken");
  const pushType = voip ? "voip" : notification.kind === "call-cancel" ? "background" : "alert";
  const topic = voip ? (target.appId.endsWith(".voip") ? target.appId : `${target.appId}.voip`) : target.appId;
  const priority = pushType === "background" ? "5" : pushType === "voip" || notification.priority === "high" ? "10" : "5";
  const headers: Record<string, string> = {
    "apns-push-type": pushType,
    "apns-topic": topic,
    "apns-priority": priority,
    "apns-expiration": String(Math.max(0, Math.floor(notification.expiresAt / 1000))),
  };
  if (pushType === "alert" && notification.collapseId) headers["apns-collapse-id"] = apnsCollapseId(notification.collapseId);
  const limit = voip ? APNS_MAX_VOIP_PAYLOAD : APNS_MAX_PAYLOAD;
  const build = (title: string, body: string): string => {
    if (pushType === "background") return JSON.stringify({ aps: { "content-available": 1 }, ...notification.data });
    if (pushType === "voip") return JSON.stringify({ aps: {}, ...notification.data, title, body });
    const aps: Record<string, unknown> = { alert: { title, body }, sound: "default", "thread-id": notification.collapseId };
    if (notification.badge !== undefined) aps.badge = notification.badge;
    return JSON.stringify({ aps, ...notification.data });
  };
  const payload = fitPayload(notification, limit, build, (text) => Buffer.byteLength(text));
  if (payload === undefined) throw new ApnsPlanError("PayloadTooLarge");
  return { headers, payload };
}

const PRUNE = new Set(["Unregistered", "BadDeviceToken", "DeviceTokenNotForTopic"]);
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * The APNs client: one HTTP/2 connection per host (production, sandbox), reopened when the server closes it
 * or a request on it timed out (a connection gone silent);
 * the provider token (tokens.ts); pruning on 410 Unregistered, 400 BadDeviceToken / DeviceTokenNotForTopic;
 * 429 and 5xx retried with backoff honouring Retry-After; 403 ExpiredProviderToken makes a new token (if at
 * least 20 minutes old) and sends again once. Serves `apns` and `apns-voip` devices.
 */
export function createApnsProvider(options: ApnsClientOptions): PushProvider {
  const now = options.now ?? Date.now;
  const tokens = new ApnsProviderToken(options.key, options.keyId, options.teamId, now);
  const sessions = new Map<string, ClientHttp2Session>();
  let closed = false;

  function session(origin: string): ClientHttp2Session {
    const open = sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const created = connect(origin, options.ca ? { ca: options.ca } : {});
    created.on("error", (error) => options.logger.warn({ err: error, origin }, "APNs connection failed"));
    const forget = () => {
      if (sessions.get(origin) === created) sessions.delete(origin);
    };
    created.on("goaway", forget);
    created.on("close", forget);
    created.unref();
    sessions.set(origin, created);
    return created;
  }

  function post(origin: string, path: string, headers: Record<string, string>, payload: string, signal?: AbortSignal): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      const client = session(origin);
      client.ref();
      const stream = client.request({ ":method": "POST", ":path": path, "content-type": "application/json", ...headers }, { signal });
      let answer: RawAnswer | undefined;
      const chunks: Buffer[] = [];
      const done = (error?: Error) => {
        client.unref();
        if (error) reject(error);
        else if (answer) resolve({ ...answer, body: Buffer.concat(chunks).toString("utf8") });
        else reject(new Error("stream closed without an answer"));
      };
      stream.setTimeout(options.timeoutMs, () => {
        stream.close(constants.NGHTTP2_CANCEL);
        // A connection that went silent (a NAT or balancer forgot the flow: no FIN, no RST) is never closed by
        // the peer: new requests go to a new connection, this one closes once its streams have ended.
        if (sessions.get(origin) === client) sessions.delete(origin);
        if (!client.closed) client.close();
      });
      stream.on("response", (responseHeaders) => {
        answer = { status: Number(responseHeaders[":status"]), headers: responseHeaders, body: "" };
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => done(error));
      stream.on("close", () => {
        if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && !answer) done(new Error(`stream reset (${stream.rstCode})`));
        else done();
      });
      stream.end(payload);
    });
  }

  async function attempt(target: PushTarget, plan: ApnsRequestPlan, signal: AbortSignal | undefined): Promise<AttemptResult> {
    const origin = target.environment === "sandbox" ? options.sandboxUrl : options.productionUrl;
    const path = `/3/device/${encodeURIComponent(target.token)}`;
    for (let resend = 0; ; resend += 1) {
      const jwt = await tokens.get();
      let answer: RawAnswer;
      try {
        answer = await timed(options.metrics, "apns", () =>
          post(origin, path, { ...plan.headers, authorization: `bearer ${jwt}` }, plan.payload, signal),
        );
      } catch (error) {
        return { again: `network: ${(error as Error).message}` };
      }
      if (answer.status === 200) {
        const id = answer.headers["apns-id"];
        return { done: { status: "sent", ...(id === undefined ? {} : { providerId: String(id) }) } };
      }
      let reason = `HTTP ${answer.status}`;
      try {
        const parsed = JSON.parse(answer.body) as { reason?: unknown };
        if (typeof parsed.reason === "string") reason = parsed.reason;
      } catch {
        // an answer without a JSON body keeps the status as its reason
      }
      if (answer.status === 410 || (answer.status === 400 && PRUNE.has(reason))) return { done: { status: "invalid-token", reason } };
      if (answer.status === 403 && reason === "ExpiredProviderToken") {
        const refreshed = await tokens.expired(jwt);
        if (!refreshed.refreshed) return { again: reason, retryAfterMs: refreshed.waitMs };
        if (resend === 0) continue;
        return { again: reason };
      }
      const header = answer.headers["retry-after"];
      if (RETRY_STATUS.has(answer.status)) {
        const after = retryAfterMs(typeof header === "number" ? String(header) : header, now());
        return { again: reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
      }
      return { done: { status: "failed", reason } };
    }
  }

  return {
    serves: ["apns", "apns-voip"],
    async send(target, notification, signal, control) {
      if (closed) return { status: "retry", reason: "closed", attempts: 0 };
      let plan: ApnsRequestPlan;
      try {
        plan = planApnsRequest(target, notification);
      } catch (error) {
        if (error instanceof ApnsPlanError) return { status: "failed", reason: error.message, attempts: 0 };
        throw error;
      }
      return withRetries({ ...options.retry, now }, notification.expiresAt, signal, () => attempt(target, plan, signal), control);
    },
    async close() {
      closed = true;
      await Promise.all(
        [...sessions.values()].map(
          (open) =>
            new Promise<void>((resolve) => {
              open.close(() => resolve());
              setTimeout(() => {
                open.destroy();
                resolve();
              }, 2000).unref();
            }),
        ),
      );
      sessions.clear();
    },
  };
}
