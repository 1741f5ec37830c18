import { randomUUID } from "node:crypto";
import { type Language, pickLanguage } from "@im/protocol";
import type { Logger } from "@im/telemetry";
import type { NextFunction, Request, Response } from "express";
import type { AuthInfo, RequestInfo } from "./route.js";

declare global {
  namespace Express {
    interface Locals {
      request: RequestInfo;
      auth?: AuthInfo;
    }
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Gives every request an id (kept from X-Request-Id when sane), a child logger and a language. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    const language: Language = pickLanguage(req.get("accept-language"));
    res.setHeader("x-request-id", requestId);
    const started = process.hrtime.bigint();
    const child = logger.child({ requestId });
    res.locals.request = { requestId, ip: req.ip ?? "", language, logger: child };
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: a query string may carry access_token.
      child.info(
        { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10, userId: res.locals.auth?.userId },
        "request",
      );
    });
    next();
  };
}
