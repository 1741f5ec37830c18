import { classifyRetryable } from "@im/infra";
import { AppError, errorBody } from "@im/protocol";
import type { NextFunction, Request, Response } from "express";

/** The fields of a body-parser / raw-body error (an http-errors HttpError) that tell what went wrong. */
interface BodyReadError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
}

/**
 * Maps an error of reading the request body (body-parser, raw-body, zlib) to the catalogue. Every one
 * of them is the client's fault, so none becomes a 500: corrupt JSON → MALFORMED_JSON; corrupt
 * compressed data, a wrong length or an aborted upload → MALFORMED_BODY; too large or too many form
 * fields → PAYLOAD_TOO_LARGE; an unknown content encoding or charset → UNSUPPORTED_MEDIA_TYPE.
 * Returns undefined for anything else.
 */
function bodyReadError(error: unknown): AppError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, status, expose } = error as BodyReadError;
  if (type === "entity.parse.failed") return new AppError("MALFORMED_JSON", { cause: error });
  if (type === "entity.too.large" || type === "parameters.too.many") return new AppError("PAYLOAD_TOO_LARGE", { cause: error });
  if (type === "encoding.unsupported" || type === "charset.unsupported") return new AppError("UNSUPPORTED_MEDIA_TYPE", { cause: error });
  // Anything else body-parser marks as a client error (zlib's Z_DATA_ERROR wrapped as 400, request.size.invalid,
  // request.aborted, querystring.parse.rangeError): the body could not be read.
  if (expose === true && typeof status === "number" && status >= 400 && status < 500) {
    if (status === 413) return new AppError("PAYLOAD_TOO_LARGE", { cause: error });
    if (status === 415) return new AppError("UNSUPPORTED_MEDIA_TYPE", { cause: error });
    return new AppError("MALFORMED_BODY", { cause: error });
  }
  return undefined;
}

/** Turns anything thrown into the catalogue's error shape. Only unknown errors are logged as errors. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const retryable = classifyRetryable(error); // lock contention, MongoDB or Redis unavailable: retry later
  if (retryable) return new AppError(retryable.key, { retryAfterSeconds: retryable.retryAfterSeconds, cause: error });
  const fromBody = bodyReadError(error);
  if (fromBody) return fromBody;
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

/**
 * Answers a method a known path does not have: 405 METHOD_NOT_ALLOWED with the `Allow` header (RFC 9110
 * §15.5.6), or 204 with `Allow` for OPTIONS. Mounted after every route of the path.
 */
export function methodNotAllowed(allowed: readonly string[]) {
  const allow = [
    ...new Set([...allowed.map((method) => method.toUpperCase()), ...(allowed.includes("get") ? ["HEAD"] : []), "OPTIONS"]),
  ].join(", ");
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader("allow", allow);
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next(new AppError("METHOD_NOT_ALLOWED"));
  };
}

/** True when the request carries a body (a length above 0, or chunked). */
export function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Refuses a request body that is neither JSON nor a form (text/plain, multipart, none stated) with 415
 * UNSUPPORTED_MEDIA_TYPE. Forms are the seed clients' way of calling with `access_token` as a field; they
 * are taken from authenticated callers only (register-routes.ts), since a form is what a foreign web page
 * can make a visitor's browser post without a CORS preflight (SMS sends, login guesses on public routes).
 */
export function jsonOnly() {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (hasBody(req) && !req.is(["application/json", "application/x-www-form-urlencoded"])) {
      next(new AppError("UNSUPPORTED_MEDIA_TYPE"));
      return;
    }
    next();
  };
}
