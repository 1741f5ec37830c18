import { LockBusyError } from "./lock.js";
import { isMongoUnavailableError } from "./mongo.js";

/**
 * What to answer for a failure that is not the client's fault: retry later. `BUSY_RETRY` for contention
 * (a lock held by another request), `SERVICE_UNAVAILABLE` for a dependency (MongoDB, Redis) that cannot be
 * reached or did not answer; `retryAfterSeconds` is the delay the client should wait (it adds jitter).
 */
export interface RetryableFailure {
  key: "BUSY_RETRY" | "SERVICE_UNAVAILABLE";
  retryAfterSeconds: number;
}

/** MongoDB driver and Mongoose errors that mean "the database could not be reached or did not answer". */
const MONGO_UNAVAILABLE = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongooseServerSelectionError",
  "MongoTopologyClosedError",
  "MongoNotConnectedError",
  "MongoServerClosedError",
  "MongoClientClosedError",
  "MongoPoolClearedError",
  "MongoWaitQueueTimeoutError",
  "MongoOperationTimeoutError",
  "MongoWriteConcernError",
  "MongoStalePrimaryError",
]);

/** Server-side MongoDB error labels of transient states (failover, shutdown, pool reset). */
const MONGO_TRANSIENT_LABELS = ["RetryableWriteError", "TransientTransactionError", "ResetPool", "UnknownTransactionCommitResult"];

/** Redis replies of a server that is starting, failing over or read-only for now. */
const REDIS_TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

/** Socket-level error codes (Node) of a peer that is down or unreachable. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

function isUnavailableOne(error: object): boolean {
  const { name, message, code, errorLabels, retryable } = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    errorLabels?: unknown;
    retryable?: unknown;
  };
  // Errors made retryable on purpose (e.g. the message store's insert whose outcome is unknown).
  if (retryable === true) return true;
  if (typeof name === "string") {
    if (MONGO_UNAVAILABLE.has(name)) return true;
    // ioredis: a command failed after maxRetriesPerRequest reconnect attempts, or was flushed on disconnect.
    if (name === "MaxRetriesPerRequestError" || name === "AbortError") return true;
    if (name === "ReplyError" && typeof message === "string" && REDIS_TRANSIENT_REPLY.test(message)) return true;
  }
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  if (Array.isArray(errorLabels) && errorLabels.some((label) => MONGO_TRANSIENT_LABELS.includes(String(label)))) return true;
  if (typeof message === "string") {
    // ioredis "Connection is closed." / offline queue off; Mongoose's buffering timeout while disconnected.
    if (message === "Connection is closed." || message.startsWith("Stream isn't writeable")) return true;
    if (name === "MongooseError" && message.includes("buffering timed out")) return true;
  }
  return false;
}

/**
 * True when an error (or any error in its `cause` chain, or of an AggregateError) says that MongoDB or
 * Redis is unreachable, timed out or closed, or is marked `retryable: true` — not a bug and not the
 * client's fault, so the caller should retry.
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 8) return false;
  if (isUnavailableOne(error)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isDependencyUnavailable(inner, depth + 1))) return true;
  return isDependencyUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * The one classifier of failures that deserve a retry, used by the gateway's acknowledgements and the API's
 * error handler: lock contention → BUSY_RETRY, an unavailable dependency → SERVICE_UNAVAILABLE, both with a
 * retry delay of 1 s. Anything else (a bug) gives `undefined` and is answered INTERNAL_ERROR by the caller.
 */
export function classifyRetryable(error: unknown): RetryableFailure | undefined {
  if (error instanceof LockBusyError) return { key: "BUSY_RETRY", retryAfterSeconds: 1 };
  if (isDependencyUnavailable(error) || isMongoUnavailableError(error)) return { key: "SERVICE_UNAVAILABLE", retryAfterSeconds: 1 };
  return undefined;
}
