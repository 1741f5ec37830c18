import { classifyRetryable } from "@im/infra";
import { type AckResult, AppError, type ErrorBody, errorBody, type Language } from "@im/protocol";
import type { Logger } from "@im/telemetry";

/**
 * Turns anything thrown by a handler into the catalogue's error body: an AppError as it is; lock contention
 * and an unavailable MongoDB or Redis (the shared classifier of @im/infra) as a retryable BUSY_RETRY or
 * SERVICE_UNAVAILABLE with `retryAfterSeconds`, logged as a warning; anything else INTERNAL_ERROR, logged.
 */
export function toErrorBody(error: unknown, language: Language, logger: Logger): ErrorBody {
  if (error instanceof AppError) return errorBody(error, language);
  const retryable = classifyRetryable(error);
  if (retryable) {
    if (retryable.key === "SERVICE_UNAVAILABLE") logger.warn({ err: error }, "dependency unavailable");
    return errorBody(new AppError(retryable.key, { retryAfterSeconds: retryable.retryAfterSeconds, cause: error }), language);
  }
  logger.error({ err: error }, "socket handler failed");
  return errorBody(new AppError("INTERNAL_ERROR"), language);
}

export const failure = (body: ErrorBody): AckResult<never> => ({ ok: false, ...body });

/** Acks are optional for clients; a missing or non-function callback must not break the socket. */
export function safeAck<T>(ack: unknown): (result: AckResult<T>) => void {
  return typeof ack === "function" ? (ack as (result: AckResult<T>) => void) : () => {};
}
