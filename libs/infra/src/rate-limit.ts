import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

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

/** A budget: at most `points` events per key in each window of `durationSeconds` (fixed windows). */
export interface BudgetOptions {
  /** Names the budget's keys (`im:rl:<name>:<key>` in Redis), e.g. `send:user`. */
  name: string;
  points: number;
  durationSeconds: number;
}

/**
 * A rate budget per key, kept in Redis (shared by every process) or, without a Redis client, in this
 * process's memory (a per-socket first tier: no round trip). Built on rate-limiter-flexible. A Redis key
 * over its budget is also blocked in this process's memory for the rest of its window, so a client that
 * keeps going costs no further Redis round trip. `take` costs at most one Redis round trip.
 */
export class Budget {
  private readonly limiter: RateLimiterRedis | RateLimiterMemory;

  constructor(options: BudgetOptions, redis?: Redis) {
    const common = { keyPrefix: `im:rl:${options.name}`, points: options.points, duration: options.durationSeconds };
    this.limiter = redis
      ? new RateLimiterRedis({ ...common, storeClient: redis, inMemoryBlockOnConsumed: options.points + 1 })
      : new RateLimiterMemory(common);
  }

  /**
   * Counts `points` (1 by default) against `key`'s budget.
   * @returns whether it was within the budget and, if not, in how many seconds (≥ 1) the window ends.
   * @throws the store's error when Redis cannot be reached (classified retryable by `classifyRetryable`).
   */
  async take(key: string, points = 1): Promise<RateLimitResult> {
    try {
      const res = await this.limiter.consume(key, points);
      return { allowed: true, count: res.consumedPoints, retryAfterSeconds: 0 };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        return { allowed: false, count: error.consumedPoints, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      }
      throw error;
    }
  }
}
