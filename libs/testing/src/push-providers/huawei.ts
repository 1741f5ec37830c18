import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerOf, type Clock, createTestTls, pause, ReplyScript, readBody, sendJson, startHttpsFake, type TestTls } from "./common.js";

/**
 * A scripted Huawei answer: HTTP status and Push Kit result code (80000000 success, 80100000 partial with
 * illegal tokens, 80300007 all tokens invalid, 80200003 OAuth token expired, 81000001 internal error, ...).
 * Per-token replies (`script.forToken`) with code 80300007 mark that token illegal inside a batch.
 */
export interface HuaweiReply {
  status?: number;
  code: string;
  msg?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
}

/** One send request the fake received. */
export interface HuaweiRequest {
  time: number;
  accessToken?: string;
  body: unknown;
  tokens: string[];
  status: number;
  code: string;
}

export interface HuaweiServerOptions {
  appId: string;
  /** Default: the app id (as Huawei's AppGallery Connect). */
  clientId?: string;
  clientSecret: string;
  tls?: TestTls;
  now?: Clock;
  tokenLifetimeSeconds?: number;
  delayMs?: number;
}

/** A local Huawei Push Kit (OAuth client-credentials route and `v1/{appId}/messages:send`). */
export interface HuaweiServer {
  /** `https://127.0.0.1:<port>` (PUSH_HUAWEI_URL). */
  url: string;
  /** PUSH_HUAWEI_TOKEN_URL. */
  tokenUrl: string;
  ca: string;
  requests: HuaweiRequest[];
  tokenRequests: { time: number; status: number; accessToken?: string }[];
  script: ReplyScript<HuaweiReply>;
  /** Makes every live access token expired (the next send answers 401 80200003). */
  expireTokens(): void;
  readonly accepted: number;
  stop(): Promise<void>;
}

/**
 * Starts a local Huawei Push Kit: `POST /oauth2/v3/token` (form grant_type=client_credentials, client_id,
 * client_secret) → `{access_token, expires_in, token_type}`; `POST /v1/<appId>/messages:send` with `Authorization:
 * Bearer` (unknown → 401 80200001, expired → 401 80200003), a message with 1..1000 tokens and either `data`
 * (pass-through string) or `android.notification` {title, body, click_action}, urgency HIGH|NORMAL, ttl
 * "<n>s", at most 4096 bytes without the tokens (else 80300008). Answers `{code: "80000000", msg, requestId}`,
 * 80100000 with `msg` = `{"success":n,"failure":m,"illegal_tokens":[...]}` when some tokens are scripted
 * illegal, 80300007 when all are, or the scripted reply (Huawei's "Downlink Message Sending API" result codes).
 */
export async function startHuaweiServer(options: HuaweiServerOptions): Promise<HuaweiServer> {
  const tls = options.tls ?? (await createTestTls({ shared: true }));
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? options.appId;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const script = new ReplyScript<HuaweiReply>();
  const requests: HuaweiRequest[] = [];
  const tokenRequests: HuaweiServer["tokenRequests"] = [];
  const issued = new Map<string, number>();
  let accepted = 0;

  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(request)).toString("utf8"));
    const ok =
      form.get("grant_type") === "client_credentials" &&
      form.get("client_id") === clientId &&
      form.get("client_secret") === options.clientSecret;
    if (!ok) {
      tokenRequests.push({ time: now(), status: 400 });
      sendJson(response, 400, { error: 1102, sub_error: 20152, error_description: "invalid client" });
      return;
    }
    const accessToken = `CgB6e3x9${randomBytes(24).toString("base64url")}`;
    issued.set(accessToken, now() + lifetime * 1000);
    tokenRequests.push({ time: now(), status: 200, accessToken });
    sendJson(response, 200, { access_token: accessToken, expires_in: lifetime, token_type: "Bearer" });
  }

  function check(body: unknown): HuaweiReply | undefined {
    const message = (body as { message?: Record<string, unknown> } | undefined)?.message;
    const tokens = message?.token;
    if (!message || !Array.isArray(tokens) || tokens.length === 0 || tokens.length > 1000) return { code: "80100001", msg: "token" };
    const android = message.android as { urgency?: unknown; ttl?: unknown; notification?: Record<string, unknown> } | undefined;
    if (message.data !== undefined && typeof message.data !== "string") return { code: "80100003", msg: "data must be a string" };
    const notification = android?.notification;
    if (message.data === undefined && !notification) return { code: "80100003", msg: "no data and no notification" };
    if (notification) {
      if (typeof notification.title !== "string" || typeof notification.body !== "string") return { code: "80100003", msg: "title/body" };
      const click = notification.click_action as { type?: unknown } | undefined;
      if (!click || ![1, 2, 3].includes(Number(click.type))) return { code: "80100003", msg: "click_action" };
    }
    if (android?.urgency !== undefined && android.urgency !== "HIGH" && android.urgency !== "NORMAL")
      return { code: "80100001", msg: "urgency" };
    if (android?.ttl !== undefined && !/^\d+(\.\d{1,9})?s$/.test(String(android.ttl))) return { code: "80100001", msg: "ttl" };
    const { token: _tokens, ...rest } = message;
    if (Buffer.byteLength(JSON.stringify(rest)) > 4096) return { code: "80300008", msg: "message body too large" };
    return undefined;
  }

  async function send(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = (await readBody(request)).toString("utf8");
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const accessToken = bearerOf(request.headers.authorization);
    const tokenList = (body as { message?: { token?: unknown } } | undefined)?.message?.token;
    const tokens = Array.isArray(tokenList) ? tokenList.map(String) : [];
    const record: HuaweiRequest = { time: now(), accessToken, body, tokens, status: 200, code: "80000000" };
    requests.push(record);
    const expires = accessToken === undefined ? undefined : issued.get(accessToken);
    let reply: HuaweiReply | undefined;
    if (expires === undefined) reply = { status: 401, code: "80200001", msg: "Oauth authentication error" };
    else if (expires <= now()) reply = { status: 401, code: "80200003", msg: "Oauth token expired" };
    else reply = check(body);
    if (!reply) {
      const illegal = [...script.forTokens(tokens)].filter(([, r]) => r.code === "80300007").map(([t]) => t);
      if (illegal.length === tokens.length) reply = { code: "80300007", msg: "All the tokens are invalid" };
      else if (illegal.length > 0) {
        reply = {
          code: "80100000",
          msg: JSON.stringify({ success: tokens.length - illegal.length, failure: illegal.length, illegal_tokens: illegal }),
        };
      } else reply = script.take(tokens);
    }
    await pause(reply?.delayMs ?? options.delayMs ?? 0);
    const status = reply?.status ?? (reply && ["80100001", "80100003", "80300008"].includes(reply.code) ? 400 : 200);
    const code = reply?.code ?? "80000000";
    record.status = status;
    record.code = code;
    if (code === "80000000" || code === "80100000") accepted += 1;
    const headers: Record<string, string> =
      reply?.retryAfterSeconds === undefined ? {} : { "retry-after": String(reply.retryAfterSeconds) };
    sendJson(response, status, { code, msg: reply?.msg ?? "Success", requestId: `${now()}${randomBytes(6).toString("hex")}` }, headers);
  }

  const fake = await startHttpsFake(tls, async (request, response) => {
    const path = request.url ?? "";
    if (request.method === "POST" && path === "/oauth2/v3/token") return token(request, response);
    if (request.method === "POST" && path === `/v1/${options.appId}/messages:send`) return send(request, response);
    sendJson(response, 404, { code: "80100002", msg: `no route ${request.method} ${path}` });
  });
  return {
    url: fake.url,
    tokenUrl: `${fake.url}/oauth2/v3/token`,
    ca: tls.ca,
    requests,
    tokenRequests,
    script,
    expireTokens() {
      for (const key of issued.keys()) issued.set(key, 0);
    },
    get accepted() {
      return accepted;
    },
    stop: fake.stop,
  };
}
