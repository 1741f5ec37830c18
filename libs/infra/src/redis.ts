import { Redis } from "ioredis";

export { Redis } from "ioredis";

/** An ioredis client that fails commands quickly instead of queueing them forever while Redis is down. */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
}
