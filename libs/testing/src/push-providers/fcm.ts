import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { bearerOf, type Clock, createTestTls, pause, ReplyScript, readBody, sendJson, startHttpsFake, type TestTls } from "./common.js";
import { createFcmTestAccount, type FcmTestAccount } from "./keys.js";

/** A scripted FCM answer: HTTP status and FcmError code (UNREGISTERED, INVALID_ARGUMENT, QUOTA_EXCEEDED, UNAVAILABLE, ...). */
export interface FcmReply {
  status: number;
  errorCode?: string;
  /** A google.rpc.BadRequest field violation (`message.token` makes an INVALID_ARGUMENT about the token). */
  field?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
}

/** One `messages:send` request the fake received. */
export interface FcmRequest {
  time: number;
  accessToken?: string;
  body: unknown;
  /** `message.token`. */
  deviceToken: string;
  status: number;
  errorCode?: string;
}

/** One token-route request: the assertion's claims once verified. */
export interface FcmTokenRequest {
  time: number;
  claims?: { iss: string; scope: string; aud: string; iat: number; exp: number };
  status: number;
  accessToken?: string;
}

export interface FcmServerOptions {
  projectId?: string;
  tls?: TestTls;
  now?: Clock;
  /** Lifetime of access tokens, seconds (Google: 3599). */
  tokenLifetimeSeconds?: number;
  delayMs?: number;
}

/** A local FCM HTTP v1 with its OAuth token route. */
export interface FcmServer {
  /** `https://127.0.0.1:<port>` (PUSH_FCM_URL). */
  url: string;
  /** The token route (`token_uri` of the account, PUSH_FCM_TOKEN_URL). */
  tokenUri: string;
  ca: string;
  /** The test's service account (key generated here); `JSON.stringify(account)` is PUSH_FCM_SERVICE_ACCOUNT. */
  account: FcmTestAccount["account"];
  requests: FcmRequest[];
  tokenRequests: FcmTokenRequest[];
  /** Replies of `messages:send`. */
  script: ReplyScript<FcmReply>;
  /** Replies of the token route (status only: 400 invalid_grant, 503). */
  tokenScript: ReplyScript<{ status: number }>;
  readonly accepted: number;
  stop(): Promise<void>;
}

const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
const GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/**
 * Starts a local FCM: `POST /token` exchanges an RS256 assertion (kid = private_key_id, iss = client_email,
 * scope firebase.messaging, aud = token_uri, exp − iat ≤ 3600 s — Google's "Using OAuth 2.0 for Server to Server
 * Applications") for a bearer token; `POST /v1/projects/<id>/messages:send` needs a live bearer token (else 401
 * UNAUTHENTICATED), a `message.token`, string-only `data`, android priority HIGH|NORMAL and ttl "<n>s", and a
 * message of at most 4096 bytes without the token; answers `{name}` or the scripted FcmError.
 */
export async function startFcmServer(options: FcmServerOptions = {}): Promise<FcmServer> {
  const tls = options.tls ?? (await createTestTls({ shared: true }));
  const now = options.now ?? Date.now;
  const projectId = options.projectId ?? "im-push-test";
  const lifetime = options.tokenLifetimeSeconds ?? 3599;
  const script = new ReplyScript<FcmReply>();
  const tokenScript = new ReplyScript<{ status: number }>();
  const requests: FcmRequest[] = [];
  const tokenRequests: FcmTokenRequest[] = [];
  const issued = new Map<string, number>();
  let accepted = 0;
  let sent = 0;
  let account: FcmTestAccount | undefined;
  let publicKey: Awaited<ReturnType<typeof importSPKI>> | undefined;

  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams((await readBody(request)).toString("utf8"));
    const record: FcmTokenRequest = { time: now(), status: 400 };
    tokenRequests.push(record);
    const scripted = tokenScript.take([]);
    if (scripted) {
      record.status = scripted.status;
      sendJson(response, scripted.status, { error: scripted.status === 400 ? "invalid_grant" : "unavailable" });
      return;
    }
    if (!request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") || form.get("grant_type") !== GRANT) {
      sendJson(response, 400, { error: "unsupported_grant_type" });
      return;
    }
    const assertion = form.get("assertion") ?? "";
    try {
      if (!account || !publicKey) throw new Error("not ready");
      const header = decodeProtectedHeader(assertion);
      if (header.alg !== "RS256" || header.kid !== account.account.private_key_id) throw new Error("kid");
      const { payload } = await jwtVerify(assertion, publicKey, {
        algorithms: ["RS256"],
        issuer: account.account.client_email,
        audience: account.account.token_uri,
        currentDate: new Date(now()),
        requiredClaims: ["iat", "exp", "scope"],
      });
      const iat = Number(payload.iat);
      const exp = Number(payload.exp);
      if (String(payload.scope).split(" ").indexOf(SCOPE) < 0 || exp - iat > 3600 || iat * 1000 > now() + 60_000) throw new Error("claims");
      const accessToken = `ya29.${randomBytes(24).toString("base64url")}`;
      issued.set(accessToken, now() + lifetime * 1000);
      Object.assign(record, {
        status: 200,
        accessToken,
        claims: { iss: String(payload.iss), scope: String(payload.scope), aud: String(payload.aud), iat, exp },
      });
      sendJson(response, 200, { access_token: accessToken, expires_in: lifetime, token_type: "Bearer" });
    } catch (error) {
      sendJson(response, 400, { error: "invalid_grant", error_description: String(error) });
    }
  }

  function fcmError(response: ServerResponse, reply: FcmReply): void {
    const status = {
      400: "INVALID_ARGUMENT",
      401: "UNAUTHENTICATED",
      403: "PERMISSION_DENIED",
      404: "NOT_FOUND",
      429: "RESOURCE_EXHAUSTED",
    }[reply.status];
    const details: unknown[] = [];
    if (reply.errorCode) details.push({ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: reply.errorCode });
    if (reply.field)
      details.push({
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [{ field: reply.field, description: "Invalid" }],
      });
    const headers: Record<string, string> = reply.retryAfterSeconds === undefined ? {} : { "retry-after": String(reply.retryAfterSeconds) };
    sendJson(
      response,
      reply.status,
      { error: { code: reply.status, message: reply.errorCode ?? "error", status: status ?? "INTERNAL", details } },
      headers,
    );
  }

  function check(body: unknown): FcmReply | undefined {
    const message = (body as { message?: Record<string, unknown> } | undefined)?.message;
    if (!message || typeof message.token !== "string" || !message.token)
      return { status: 400, errorCode: "INVALID_ARGUMENT", field: "message.token" };
    const data = message.data;
    if (data !== undefined && (typeof data !== "object" || Object.values(data as object).some((value) => typeof value !== "string"))) {
      return { status: 400, errorCode: "INVALID_ARGUMENT", field: "message.data" };
    }
    const android = message.android as { priority?: unknown; ttl?: unknown } | undefined;
    if (android?.priority !== undefined && android.priority !== "HIGH" && android.priority !== "NORMAL") {
      return { status: 400, errorCode: "INVALID_ARGUMENT", field: "message.android.priority" };
    }
    if (android?.ttl !== undefined && !/^\d+(\.\d{1,9})?s$/.test(String(android.ttl))) {
      return { status: 400, errorCode: "INVALID_ARGUMENT", field: "message.android.ttl" };
    }
    const { token: _token, ...rest } = message;
    if (Buffer.byteLength(JSON.stringify(rest)) > 4096) return { status: 400, errorCode: "INVALID_ARGUMENT", field: "message" };
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
    const deviceToken = String((body as { message?: { token?: unknown } } | undefined)?.message?.token ?? "");
    const record: FcmRequest = { time: now(), accessToken, body, deviceToken, status: 200 };
    requests.push(record);
    const expires = accessToken === undefined ? undefined : issued.get(accessToken);
    let reply: FcmReply | undefined;
    if (expires === undefined || expires <= now()) reply = { status: 401, errorCode: "THIRD_PARTY_AUTH_ERROR" };
    else reply = check(body) ?? script.take([deviceToken]);
    await pause(reply?.delayMs ?? options.delayMs ?? 0);
    record.status = reply?.status ?? 200;
    record.errorCode = reply?.errorCode;
    if (reply && reply.status !== 200) {
      fcmError(response, reply);
      return;
    }
    accepted += 1;
    sent += 1;
    sendJson(response, 200, { name: `projects/${projectId}/messages/0:${now()}%${sent}` });
  }

  const fake = await startHttpsFake(tls, async (request, response) => {
    const path = request.url ?? "";
    if (request.method === "POST" && path === "/token") return token(request, response);
    if (request.method === "POST" && path === `/v1/projects/${projectId}/messages:send`) return send(request, response);
    sendJson(response, 404, { error: { code: 404, status: "NOT_FOUND", message: `no route ${request.method} ${path}` } });
  });
  account = createFcmTestAccount(`${fake.url}/token`, projectId);
  publicKey = await importSPKI(account.publicKey, "RS256");
  return {
    url: fake.url,
    tokenUri: account.account.token_uri,
    ca: tls.ca,
    account: account.account,
    requests,
    tokenRequests,
    script,
    tokenScript,
    get accepted() {
      return accepted;
    },
    stop: fake.stop,
  };
}
