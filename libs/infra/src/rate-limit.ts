import type { Redis } from "ioredis";

/** Counts a hit in a fixed window and reports whether it is within the limit. */
const HIT = `
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then redis.call("PEXPIRE", KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export interface RateLimitRule {
  /** Redis key of the window, e.g. `rl:sms:phone:8613800000000`. */
  key: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  retryAfterSeconds: number;
}

/** Fixed-window rate limiting in Redis: one INCR per hit, atomic on every Redis. */
export async function hitRateLimit(redis: Redis, rule: RateLimitRule): Promise<RateLimitResult> {
  const [count, ttl] = (await redis.eval(HIT, 1, rule.key, String(rule.windowSeconds * 1000))) as [number, number];
  return { allowed: count <= rule.limit, count, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
}

/** Reads a window without counting a hit (e.g. "is this phone locked after failed logins?"). */
export async function peekRateLimit(redis: Redis, rule: RateLimitRule): Promise<RateLimitResult> {
  const [count, ttl] = await Promise.all([redis.get(rule.key), redis.pttl(rule.key)]);
  const n = count === null ? 0 : Number(count);
  return { allowed: n < rule.limit, count: n, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
}
