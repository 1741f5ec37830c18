import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type Redis, withLocks } from "@im/infra";

/** The caller of an authenticated request or socket: who, and which device session. */
export interface AuthInfo {
  userId: number;
  sessionId: string;
  resource: string;
  deviceId: string;
  /** sha256 of the access token: the session's key. */
  tokenHash: string;
}

const sessionKey = (tokenHash: string) => `auth:session:${tokenHash}`;

/**
 * Why a session ended, as gateways tell the session's sockets (`session:ended`): `logout` (POST
 * /v1/auth/logout), `revoked` (signed out from another device, or by a newer login: same device, single-device
 * mode, too many sessions), `password_changed` (change or reset), `disabled` (account disabled), `expired` (TTL).
 */
export type SessionEndReason = "logout" | "revoked" | "password_changed" | "disabled" | "expired";

/** Redis pub/sub channel on which every revocation is published as a {@link SessionsEnded} JSON message. */
export const SESSIONS_ENDED_CHANNEL = "auth:sessions-ended";

/** What is published on {@link SESSIONS_ENDED_CHANNEL}: every gateway disconnects these sessions' sockets. */
export interface SessionsEnded {
  userId: number;
  sessionIds: string[];
  reason: SessionEndReason;
}

const announce = (event: SessionsEnded) => JSON.stringify(event);
const userSessionsKey = (userId: number) => `auth:user:${userId}:sessions`;

/** Tokens are kept only as their sha256: a Redis dump does not hand out live tokens. */
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface NewSession {
  userId: number;
  resource: string;
  deviceId: string;
  ip: string;
  ttlSeconds: number;
  /** Most sessions kept; the oldest beyond it are revoked. */
  maxSessions: number;
  /** The user's multipleDevices setting is off: every other session is revoked. */
  singleDevice: boolean;
}

export interface CreatedSession {
  accessToken: string;
  sessionId: string;
  expiresAt: number;
  /** How many older sessions this login revoked. */
  revoked: number;
}

export interface SessionView {
  sessionId: string;
  resource: string;
  deviceId: string;
  ip: string;
  createdAt: number;
}

/** Creates a device session: a 256-bit random token stored in Redis with a TTL (the seed's accessToken). */
export async function createSession(redis: Redis, input: NewSession): Promise<CreatedSession> {
  return withLocks(redis, [`lock:auth:${input.userId}`], async () => {
    const accessToken = randomBytes(32).toString("base64url");
    const tokenHash = hashToken(accessToken);
    const sessionId = randomUUID();
    const now = Date.now();
    const existing = await redis.zrange(userSessionsKey(input.userId), 0, -1);
    const alive: string[] = [];
    const expired: string[] = [];
    const revoked: string[] = [];
    const sessionIds = new Map<string, string>();
    for (const hash of existing) {
      const [deviceId, sessionId] = await redis.hmget(sessionKey(hash), "deviceId", "sessionId");
      if (sessionId) sessionIds.set(hash, sessionId);
      if (deviceId === null || deviceId === undefined) expired.push(hash);
      else if (input.singleDevice || (input.deviceId !== "" && deviceId === input.deviceId)) revoked.push(hash);
      else alive.push(hash);
    }
    // The sorted set is oldest first: keep room for the new session.
    const overflow = alive.length + 1 - input.maxSessions;
    if (overflow > 0) revoked.push(...alive.slice(0, overflow));
    const doomed = [...expired, ...revoked];
    const pipeline = redis.multi();
    for (const hash of doomed) {
      pipeline.del(sessionKey(hash));
      pipeline.zrem(userSessionsKey(input.userId), hash);
    }
    const ended = revoked.flatMap((hash) => sessionIds.get(hash) ?? []);
    if (ended.length > 0)
      pipeline.publish(SESSIONS_ENDED_CHANNEL, announce({ userId: input.userId, sessionIds: ended, reason: "revoked" }));
    pipeline.hset(sessionKey(tokenHash), {
      userId: String(input.userId),
      sessionId,
      resource: input.resource,
      deviceId: input.deviceId,
      ip: input.ip,
      createdAt: String(now),
    });
    pipeline.expire(sessionKey(tokenHash), input.ttlSeconds);
    pipeline.zadd(userSessionsKey(input.userId), now, tokenHash);
    pipeline.expire(userSessionsKey(input.userId), input.ttlSeconds);
    await pipeline.exec();
    return { accessToken, sessionId, expiresAt: now + input.ttlSeconds * 1000, revoked: revoked.length };
  });
}

/** Finds the session of a token, or null when it is unknown, expired or revoked. */
export async function resolveSession(redis: Redis, token: string): Promise<AuthInfo | null> {
  const tokenHash = hashToken(token);
  const fields = await redis.hgetall(sessionKey(tokenHash));
  if (!fields.userId || !fields.sessionId) return null;
  return {
    userId: Number(fields.userId),
    sessionId: fields.sessionId,
    resource: fields.resource ?? "",
    deviceId: fields.deviceId ?? "",
    tokenHash,
  };
}

/**
 * Ends one session (logout, or `reason` when another device signs it out) and announces it on
 * {@link SESSIONS_ENDED_CHANNEL} in the same transaction, so every gateway disconnects its sockets.
 */
export async function revokeSession(
  redis: Redis,
  auth: Pick<AuthInfo, "userId" | "tokenHash" | "sessionId">,
  reason: SessionEndReason = "logout",
): Promise<void> {
  await redis
    .multi()
    .del(sessionKey(auth.tokenHash))
    .zrem(userSessionsKey(auth.userId), auth.tokenHash)
    .publish(SESSIONS_ENDED_CHANNEL, announce({ userId: auth.userId, sessionIds: [auth.sessionId], reason }))
    .exec();
}

/**
 * Ends every session of a user — password change or reset (`password_changed`), account disabled
 * (`disabled`) — and announces them on {@link SESSIONS_ENDED_CHANNEL}. Returns how many ended.
 */
export async function revokeAllSessions(redis: Redis, userId: number, reason: SessionEndReason): Promise<number> {
  return withLocks(redis, [`lock:auth:${userId}`], async () => {
    const hashes = await redis.zrange(userSessionsKey(userId), 0, -1);
    const ids = hashes.length > 0 ? await Promise.all(hashes.map((hash) => redis.hget(sessionKey(hash), "sessionId"))) : [];
    const sessionIds = ids.filter((id): id is string => typeof id === "string" && id !== "");
    const pipeline = redis.multi();
    for (const hash of hashes) pipeline.del(sessionKey(hash));
    pipeline.del(userSessionsKey(userId));
    if (sessionIds.length > 0) pipeline.publish(SESSIONS_ENDED_CHANNEL, announce({ userId, sessionIds, reason }));
    await pipeline.exec();
    return sessionIds.length;
  });
}

/**
 * How long each session (by token hash) still lives, ms, read in one round trip: a number > 0, `Infinity`
 * for a session without a TTL, or null for one that no longer exists (expired or revoked).
 */
export async function sessionTimesLeft(redis: Redis, tokenHashes: readonly string[]): Promise<Array<number | null>> {
  if (tokenHashes.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const hash of tokenHashes) pipeline.pttl(sessionKey(hash));
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    const ms = Number(value);
    return ms === -1 ? Number.POSITIVE_INFINITY : ms >= 0 ? ms : null;
  });
}

/** The user's live sessions, oldest first. */
export async function listSessions(redis: Redis, userId: number): Promise<SessionView[]> {
  const hashes = await redis.zrange(userSessionsKey(userId), 0, -1);
  const views: SessionView[] = [];
  for (const hash of hashes) {
    const fields = await redis.hgetall(sessionKey(hash));
    if (!fields.sessionId) continue;
    views.push({
      sessionId: fields.sessionId,
      resource: fields.resource ?? "",
      deviceId: fields.deviceId ?? "",
      ip: fields.ip ?? "",
      createdAt: Number(fields.createdAt ?? 0),
    });
  }
  return views;
}

/** Ends one of the user's sessions by its id (sign out another device). Returns false if none matched. */
export async function revokeSessionById(redis: Redis, userId: number, sessionId: string): Promise<boolean> {
  const hashes = await redis.zrange(userSessionsKey(userId), 0, -1);
  for (const hash of hashes) {
    if ((await redis.hget(sessionKey(hash), "sessionId")) === sessionId) {
      await revokeSession(redis, { userId, tokenHash: hash, sessionId }, "revoked");
      return true;
    }
  }
  return false;
}
