import { buildOpenApi, errorHandler, hasBody, httpMetrics, methodNotAllowed, notFound, registerRoutes, requestContext } from "@im/http";
import { AppError } from "@im/protocol";
import { createHttpDurationHistogram } from "@im/telemetry";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { UploadDeps } from "./context.js";
import { allRoutes } from "./routes.js";

export const UPLOAD_VERSION = "0.1.0";

/** The OpenAPI document of the upload app (served on /openapi.json; docs/openapi-upload.json is written from it). */
export function uploadOpenApi(publicRoutes: string[]) {
  return buildOpenApi(allRoutes, { title: "IM platform upload service", version: UPLOAD_VERSION, publicRoutes });
}

/**
 * Bodies the app reads: JSON (multipart init/complete) and multipart/form-data (uploads, read as a stream by
 * their routes); anything else is 415 UNSUPPORTED_MEDIA_TYPE.
 */
function jsonOrMultipart() {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (hasBody(req) && !req.is(["application/json", "multipart/form-data"])) {
      next(new AppError("UNSUPPORTED_MEDIA_TYPE"));
      return;
    }
    next();
  };
}

/** The Express application: middleware, every route, /metrics, /openapi.json, 404 and the error handler. */
export function createApp(deps: UploadDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.config.UPLOAD_TRUST_PROXY);
  app.set("query parser", "simple");
  app.use(requestContext(deps.logger));
  app.use(httpMetrics(createHttpDurationHistogram(deps.registry)));
  app.use(express.json({ limit: "1mb" }));
  app.use(jsonOrMultipart());

  const openApi = uploadOpenApi(deps.config.UPLOAD_PUBLIC_ROUTES);
  app.get("/openapi.json", (_req, res) => {
    res.json(openApi);
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("content-type", deps.registry.contentType);
    res.end(await deps.registry.metrics());
  });
  app.all(["/openapi.json", "/metrics"], methodNotAllowed(["get"]));
  app.use(
    registerRoutes(allRoutes, deps, {
      redis: deps.redis,
      publicRoutes: deps.config.UPLOAD_PUBLIC_ROUTES,
      publicRoutesSetting: "UPLOAD_PUBLIC_ROUTES",
      validateResponses: deps.config.UPLOAD_VALIDATE_RESPONSES,
    }),
  );
  app.use(notFound());
  app.use(errorHandler());
  return app;
}
