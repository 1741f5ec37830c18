import { isMongoUnavailableError, LockBusyError } from "@im/infra";
import { type AckResult, AppError, type ErrorBody, errorBody, type Language } from "@im/protocol";
import type { Logger } from "@im/telemetry";

/** Turns anything thrown by a handler into the catalogue's error body; unknown errors are logged. */
export function toErrorBody(error: unknown, language: Language, logger: Logger): ErrorBody {
  if (error instanceof AppError) return errorBody(error, language);
  if (error instanceof LockBusyError) return errorBody(new AppError("BUSY_RETRY", { retryAfterSeconds: 1 }), language);
  // The database unreachable or not answering in time (issue 10, item 1g): retryable, never final.
  if (isMongoUnavailableError(error)) {
    logger.warn({ err: error }, "socket handler: database unavailable");
    return errorBody(new AppError("SERVICE_UNAVAILABLE", { retryAfterSeconds: 1 }), language);
  }
  logger.error({ err: error }, "socket handler failed");
  return errorBody(new AppError("INTERNAL_ERROR"), language);
}

export const failure = (body: ErrorBody): AckResult<never> => ({ ok: false, ...body });

/** Acks are optional for clients; a missing or non-function callback must not break the socket. */
export function safeAck<T>(ack: unknown): (result: AckResult<T>) => void {
  return typeof ack === "function" ? (ack as (result: AckResult<T>) => void) : () => {};
}
