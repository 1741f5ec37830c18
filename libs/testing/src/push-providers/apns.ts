import { randomUUID } from "node:crypto";
import { constants, createSecureServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { decodeProtectedHeader, importSPKI, jwtVerify, type KeyObject } from "jose";
import { type Clock, createTestTls, pause, ReplyScript, readBody, type TestTls } from "./common.js";

/** A scripted APNs answer (Apple's reasons: Unregistered, BadDeviceToken, ExpiredProviderToken, TooManyRequests, ...). */
export interface ApnsReply {
  status: number;
  reason?: string;
  /** `Retry-After` header, seconds. */
  retryAfterSeconds?: number;
  /** 410 answers: when the token stopped being valid, epoch ms. */
  timestamp?: number;
  /** Waits this long before answering, ms. */
  delayMs?: number;
}

/** One request the fake received, with what it answered. */
export interface ApnsRequest {
  /** Fake-clock time of the request, epoch ms. */
  time: number;
  /** Real time it arrived (Date.now), for measuring waits between retries. */
  wallTime: number;
  deviceToken: string;
  headers: Record<string, string>;
  /** The provider token (JWT) sent, decoded once verified; undefined when missing or refused. */
  jwt?: { kid: string; iss: string; iat: number; raw: string };
  payload: unknown;
  payloadBytes: number;
  status: number;
  reason?: string;
}

export interface ApnsServerOptions {
  teamId: string;
  keyId: string;
  /** The public half of the test's P-256 key (SPKI PEM or a KeyObject). */
  publicKey: string | KeyObject;
  /** Bundle ids allowed as topics (with `.voip` for VoIP); any topic when unset. */
  topics?: readonly string[];
  tls?: TestTls;
  /** The fake's clock (token age, 20-minute rule), epoch ms. */
  now?: Clock;
  /** Latency of every answer, ms (benchmarks). */
  delayMs?: number;
}

/** A local APNs (HTTP/2 over TLS) that verifies everything Apple verifies that a client can get wrong. */
export interface ApnsServer {
  /** `https://127.0.0.1:<port>` (PUSH_APNS_URL and PUSH_APNS_SANDBOX_URL). */
  url: string;
  /** The PEM the client must trust (PUSH_CA_FILE). */
  ca: string;
  requests: ApnsRequest[];
  /** Distinct provider tokens (JWTs) in the order they were first seen (any connection), with when (fake clock). */
  providerTokens: { raw: string; iat: number; firstSeen: number }[];
  script: ReplyScript<ApnsReply>;
  /** Answered requests with status 200. */
  readonly accepted: number;
  /** Sends GOAWAY (NO_ERROR) on every open connection, as APNs does before closing one; returns how many. */
  goaway(): number;
  stop(): Promise<void>;
}

const HOUR_MS = 3600_000;
const TOKEN_UPDATE_MS = 20 * 60_000;

/**
 * Starts a local APNs on 127.0.0.1: HTTP/2 + TLS (self-signed), `POST /3/device/<hex token>`, checking (as
 * Apple's documentation says, "Sending notification requests to APNs"): `authorization: bearer <JWT>` signed ES256
 * with the test's key (kid = key id, iss = team id, iat not over an hour old → else 403 ExpiredProviderToken;
 * a connection switching to a new token within 20 minutes of its last switch → 429 TooManyProviderTokenUpdates), `apns-topic` (`.voip` ⇔
 * push type voip), `apns-push-type` alert|background|voip, `apns-priority` 5|10 (background 5),
 * `apns-expiration` epoch seconds, `apns-collapse-id` ≤ 64 bytes, a JSON payload with `aps` of at most 4096
 * bytes (5120 VoIP) → 413 PayloadTooLarge. Answers 200 with `apns-id`, or the scripted replies.
 */
export async function startApnsServer(options: ApnsServerOptions): Promise<ApnsServer> {
  const tls = options.tls ?? (await createTestTls({ shared: true }));
  const now = options.now ?? Date.now;
  const key = typeof options.publicKey === "string" ? await importSPKI(options.publicKey, "ES256") : options.publicKey;
  const script = new ReplyScript<ApnsReply>();
  const requests: ApnsRequest[] = [];
  const providerTokens: ApnsServer["providerTokens"] = [];
  let accepted = 0;

  /** The token each connection last switched to, and when: the 20-minute rule holds per connection. */
  const sessionTokens = new WeakMap<object, { raw: string; since: number }>();

  async function verifyJwt(
    authorization: string | undefined,
    session: object,
  ): Promise<{ jwt?: ApnsRequest["jwt"]; refuse?: [number, string] }> {
    const match = /^bearer (\S+)$/.exec(authorization ?? "");
    if (!match?.[1]) return { refuse: [403, "MissingProviderToken"] };
    const raw = match[1];
    try {
      const header = decodeProtectedHeader(raw);
      if (header.alg !== "ES256" || header.kid !== options.keyId) return { refuse: [403, "InvalidProviderToken"] };
      const { payload } = await jwtVerify(raw, key, { algorithms: ["ES256"], issuer: options.teamId, currentDate: new Date(now()) });
      if (typeof payload.iat !== "number") return { refuse: [403, "InvalidProviderToken"] };
      const iatMs = payload.iat * 1000;
      if (iatMs > now() + 60_000) return { refuse: [403, "InvalidProviderToken"] };
      if (now() - iatMs > HOUR_MS) return { refuse: [403, "ExpiredProviderToken"] };
      const jwt = { kid: options.keyId, iss: options.teamId, iat: payload.iat, raw };
      const current = sessionTokens.get(session);
      if (current?.raw !== raw) {
        if (current !== undefined && now() - current.since < TOKEN_UPDATE_MS) return { jwt, refuse: [429, "TooManyProviderTokenUpdates"] };
        sessionTokens.set(session, { raw, since: now() });
      }
      if (!providerTokens.some((seen) => seen.raw === raw)) providerTokens.push({ raw, iat: payload.iat, firstSeen: now() });
      return { jwt };
    } catch {
      return { refuse: [403, "InvalidProviderToken"] };
    }
  }

  function checkHeaders(headers: IncomingHttpHeaders, payloadBytes: number, payload: unknown): [number, string] | undefined {
    const topic = String(headers["apns-topic"] ?? "");
    const pushType = String(headers["apns-push-type"] ?? "");
    if (!topic) return [400, "MissingTopic"];
    if (options.topics && !options.topics.includes(topic)) return [400, "TopicDisallowed"];
    if (!["alert", "background", "voip"].includes(pushType)) return [400, "InvalidPushType"];
    if ((pushType === "voip") !== topic.endsWith(".voip")) return [400, "InvalidPushType"];
    const priority = headers["apns-priority"];
    if (priority !== undefined && priority !== "5" && priority !== "10") return [400, "BadPriority"];
    if (pushType === "background" && priority !== "5") return [400, "BadPriority"];
    const expiration = headers["apns-expiration"];
    if (expiration !== undefined && !/^\d+$/.test(String(expiration))) return [400, "BadExpirationDate"];
    const collapse = headers["apns-collapse-id"];
    if (collapse !== undefined && Buffer.byteLength(String(collapse)) > 64) return [400, "BadCollapseId"];
    if (payloadBytes > (pushType === "voip" ? 5120 : 4096)) return [413, "PayloadTooLarge"];
    if (payloadBytes === 0) return [400, "PayloadEmpty"];
    if (typeof payload !== "object" || payload === null || typeof (payload as { aps?: unknown }).aps !== "object")
      return [400, "BadPayload"];
    return undefined;
  }

  async function handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const body = await readBody(stream);
    const path = String(headers[":path"] ?? "");
    const deviceToken = path.startsWith("/3/device/") ? path.slice("/3/device/".length) : "";
    let payload: unknown;
    try {
      payload = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
    } catch {
      payload = undefined;
    }
    const plain: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (!name.startsWith(":") && value !== undefined) plain[name] = String(value);
    const record: ApnsRequest = {
      time: now(),
      wallTime: Date.now(),
      deviceToken,
      headers: plain,
      payload,
      payloadBytes: body.length,
      status: 200,
    };
    requests.push(record);

    const auth = await verifyJwt(plain.authorization, stream.session ?? stream);
    record.jwt = auth.jwt;
    let answer: ApnsReply | undefined;
    if (headers[":method"] !== "POST") answer = { status: 405, reason: "MethodNotAllowed" };
    else if (!/^[0-9a-fA-F]{64,200}$/.test(deviceToken)) answer = { status: 400, reason: "BadDeviceToken" };
    else if (auth.refuse) answer = { status: auth.refuse[0], reason: auth.refuse[1] };
    else {
      const problem = checkHeaders(headers, body.length, payload);
      answer = problem ? { status: problem[0], reason: problem[1] } : script.take([deviceToken]);
    }
    await pause(answer?.delayMs ?? options.delayMs ?? 0);
    const status = answer?.status ?? 200;
    record.status = status;
    record.reason = answer?.reason;
    if (stream.destroyed) return;
    const apnsId = plain["apns-id"] ?? randomUUID().toUpperCase();
    const responseHeaders: Record<string, string | number> = { ":status": status, "apns-id": apnsId };
    if (answer?.retryAfterSeconds !== undefined) responseHeaders["retry-after"] = answer.retryAfterSeconds;
    if (status === 200) {
      accepted += 1;
      stream.respond(responseHeaders, { endStream: true });
      return;
    }
    const reply: Record<string, unknown> = { reason: answer?.reason ?? "InternalServerError" };
    if (status === 410) reply.timestamp = answer?.timestamp ?? now();
    responseHeaders["content-type"] = "application/json";
    stream.respond(responseHeaders);
    stream.end(JSON.stringify(reply));
  }

  const server: Http2Server = createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: false });
  server.on("stream", (stream, headers) => {
    handle(stream, headers).catch(() => {
      if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    });
  });
  server.on("sessionError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  return {
    url: `https://127.0.0.1:${address.port}`,
    ca: tls.ca,
    requests,
    providerTokens,
    script,
    get accepted() {
      return accepted;
    },
    goaway() {
      for (const session of sessions) if (!session.closed) session.goaway(constants.NGHTTP2_NO_ERROR);
      return sessions.size;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
