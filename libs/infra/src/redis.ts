import { Redis } from "ioredis";

export { Redis } from "ioredis";

/** Where a Redis client reports connection errors (a pino logger fits). */
export interface RedisErrorLogger {
  warn(details: object, message: string): void;
}

/** Most one connection-error line per client per this many ms (a down Redis fails every retry). */
export const REDIS_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * An ioredis client that fails commands quickly instead of queueing them forever while Redis is down. Its
 * connection errors go to `logger` at most once per REDIS_ERROR_LOG_INTERVAL_MS, with how many were left out
 * (without a listener ioredis prints "Unhandled error event" with a stack on every retry); without a logger they
 * are dropped — the commands themselves still reject.
 */
export function createRedis(url: string, name: string, logger?: RedisErrorLogger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  reportRedisErrors(redis, name, logger);
  return redis;
}

/**
 * Listens for a Redis client's connection errors (also for clients made with `duplicate()`, which copy no
 * listeners): to `logger` at most once per REDIS_ERROR_LOG_INTERVAL_MS with the count left out; dropped without one.
 */
export function reportRedisErrors(redis: Redis, name: string, logger?: RedisErrorLogger): void {
  let lastLogged = 0;
  let suppressed = 0;
  redis.on("error", (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < REDIS_ERROR_LOG_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    logger?.warn({ err: error, redis: name, suppressed }, "redis connection error; commands fail fast while the client reconnects");
    lastLogged = now;
    suppressed = 0;
  });
}
