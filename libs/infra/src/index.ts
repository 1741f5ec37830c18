export { raiseCounter } from "./counter.js";
export { LockBusyError, type LockOptions, withLocks } from "./lock.js";
export {
  type Connection,
  connectMongo,
  duplicateKeyField,
  isDuplicateKeyError,
  isMongoUnavailableError,
  MONGO_RESILIENCE_OPTIONS,
} from "./mongo.js";
export { Budget, type BudgetOptions, hitRateLimit, peekRateLimit, type RateLimitResult, type RateLimitRule } from "./rate-limit.js";
export { createRedis, REDIS_ERROR_LOG_INTERVAL_MS, Redis, type RedisErrorLogger, reportRedisErrors } from "./redis.js";
export { classifyRetryable, isDependencyUnavailable, type RetryableFailure } from "./unavailable.js";
