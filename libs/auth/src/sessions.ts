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
    for (const hash of existing) {
      const [deviceId] = await redis.hmget(sessionKey(hash), "deviceId");
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

/** Ends one session (logout). */
export async function revokeSession(redis: Redis, auth: Pick<AuthInfo, "userId" | "tokenHash">): Promise<void> {
  await redis.multi().del(sessionKey(auth.tokenHash)).zrem(userSessionsKey(auth.userId), auth.tokenHash).exec();
}

/** Ends every session of a user (password change or reset, account disabled). */
export async function revokeAllSessions(redis: Redis, userId: number): Promise<number> {
  return withLocks(redis, [`lock:auth:${userId}`], async () => {
    const hashes = await redis.zrange(userSessionsKey(userId), 0, -1);
    const pipeline = redis.multi();
    for (const hash of hashes) pipeline.del(sessionKey(hash));
    pipeline.del(userSessionsKey(userId));
    await pipeline.exec();
    return hashes.length;
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
      await revokeSession(redis, { userId, tokenHash: hash });
      return true;
    }
  }
  return false;
}
