import { buildOpenApi, errorHandler, httpMetrics, jsonOnly, methodNotAllowed, notFound, registerRoutes, requestContext } from "@im/http";
import { createHttpDurationHistogram } from "@im/telemetry";
import express, { type Express } from "express";
import type { ApiDeps } from "./context.js";
import { allRoutes } from "./routes.js";

export const API_VERSION = "0.1.0";

/** The Express application: middleware, every route, /metrics, /openapi.json, 404 and the error handler. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.config.API_TRUST_PROXY);
  app.set("query parser", "simple");
  const limit = `${deps.config.API_BODY_LIMIT_KB}kb`;

  app.use(requestContext(deps.logger));
  app.use(httpMetrics(createHttpDurationHistogram(deps.metrics)));
  app.use(express.json({ limit }));
  // The seed's clients post form fields (with access_token); they are parsed into the same body the schemas
  // check, but only an authenticated caller's form is served (register-routes.ts); other bodies get 415.
  app.use(express.urlencoded({ extended: false, limit }));
  app.use(jsonOnly());

  const openApi = buildOpenApi(allRoutes, { title: "IM platform API", version: API_VERSION, publicRoutes: deps.config.API_PUBLIC_ROUTES });
  app.get("/openapi.json", (_req, res) => {
    res.json(openApi);
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("content-type", deps.metrics.contentType);
    res.end(await deps.metrics.metrics());
  });
  app.all(["/openapi.json", "/metrics"], methodNotAllowed(["get"]));
  app.use(
    registerRoutes(allRoutes, deps, {
      redis: deps.redis,
      publicRoutes: deps.config.API_PUBLIC_ROUTES,
      validateResponses: deps.config.API_VALIDATE_RESPONSES,
    }),
  );
  app.use(notFound());
  app.use(errorHandler());
  return app;
}
