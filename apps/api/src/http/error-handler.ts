import { classifyRetryable } from "@im/infra";
import { AppError, errorBody } from "@im/protocol";
import type { NextFunction, Request, Response } from "express";

/** Turns anything thrown into the catalogue's error shape. Only unknown errors are logged as errors. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const retryable = classifyRetryable(error); // lock contention, MongoDB or Redis unavailable: retry later
  if (retryable) return new AppError(retryable.key, { retryAfterSeconds: retryable.retryAfterSeconds, cause: error });
  const bodyParserType = (error as { type?: unknown } | null)?.type;
  if (bodyParserType === "entity.parse.failed") return new AppError("MALFORMED_JSON", { cause: error });
  if (bodyParserType === "entity.too.large") return new AppError("PAYLOAD_TOO_LARGE", { cause: error });
  if (typeof bodyParserType === "string" && bodyParserType.startsWith("charset.")) {
    return new AppError("VALIDATION_FAILED", { issues: [{ field: "body", message: "unsupported charset" }], cause: error });
  }
  if (bodyParserType === "encoding.unsupported") {
    return new AppError("VALIDATION_FAILED", { issues: [{ field: "body", message: "unsupported content encoding" }], cause: error });
  }
  // The router could not percent-decode a path parameter (e.g. /v1/users/%E0%A4%A): the client's fault.
  if (error instanceof URIError) {
    return new AppError("VALIDATION_FAILED", { issues: [{ field: "params", message: "malformed percent-encoding" }], cause: error });
  }
  return new AppError("INTERNAL_ERROR", { cause: error });
}

export function errorHandler() {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const appError = toAppError(error);
    const { requestId, language, logger } = res.locals.request;
    if (appError.key === "INTERNAL_ERROR") {
      logger.error({ err: error }, "unhandled error");
    } else if (appError.key === "SERVICE_UNAVAILABLE") {
      logger.warn({ err: error }, "dependency unavailable");
    }
    if (res.headersSent) return;
    if (appError.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(appError.retryAfterSeconds));
    res.status(appError.httpStatus).json(errorBody(appError, language, requestId));
  };
}

export function notFound() {
  return (_req: Request, _res: Response, next: NextFunction) => next(new AppError("ROUTE_NOT_FOUND"));
}
