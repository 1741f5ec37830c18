import { resolveSession } from "@im/auth";
import { ConfigError } from "@im/config";
import { AppError } from "@im/protocol";
import { type Request, type Response, Router } from "express";
import type { z } from "zod";
import type { ApiDeps } from "../context.js";
import { hasBody, methodNotAllowed } from "./error-handler.js";
import { type AuthInfo, type RouteSpec, routeKey } from "./route.js";
import { parseInput } from "./validate.js";

/** The access token of a request: `Authorization: Bearer …`, else the seed's `access_token` parameter. */
export function readToken(req: Request): string | undefined {
  const header = req.get("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const fromQuery = req.query.access_token;
  if (typeof fromQuery === "string" && fromQuery.length > 0) return fromQuery;
  const fromBody = (req.body as { access_token?: unknown } | undefined)?.access_token;
  return typeof fromBody === "string" && fromBody.length > 0 ? fromBody : undefined;
}

async function authenticate(req: Request, deps: ApiDeps, required: boolean): Promise<AuthInfo | undefined> {
  const token = readToken(req);
  if (!token) {
    if (required) throw new AppError(req.get("authorization") ? "TOKEN_INVALID" : "TOKEN_MISSING");
    return undefined;
  }
  if (token.length > 512) throw new AppError("TOKEN_INVALID");
  const auth = await resolveSession(deps.redis, token);
  if (!auth && required) throw new AppError("TOKEN_INVALID");
  return auth ?? undefined;
}

/**
 * The routes callable without a token: the `public` routes listed in API_PUBLIC_ROUTES. Throws when the
 * list names a route declared `auth: "user"` (its handler needs a caller, so it cannot be opened).
 */
export function openRoutes(routes: RouteSpec[], configured: readonly string[]): Set<string> {
  const listed = new Set(configured);
  const refused = routes.filter((route) => route.auth === "user" && listed.has(routeKey(route))).map(routeKey);
  if (refused.length > 0) {
    throw new ConfigError(refused.map((key) => `API_PUBLIC_ROUTES: ${key} needs a logged-in caller and cannot be public`));
  }
  return listed;
}

/** Mounts every route on one router: authentication, input parsing, the handler, the response. */
export function registerRoutes(routes: RouteSpec[], deps: ApiDeps): Router {
  const router = Router();
  const publicRoutes = openRoutes(routes, deps.config.API_PUBLIC_ROUTES);
  for (const route of routes) {
    const isPublic = route.auth === "public" && publicRoutes.has(routeKey(route));
    router[route.method](route.path, async (req: Request, res: Response) => {
      const auth = await authenticate(req, deps, !isPublic);
      if (auth) res.locals.auth = auth;
      // A form body from nobody in particular is what a foreign page can post from a visitor's browser
      // without a CORS preflight: unauthenticated calls take JSON only (jsonOnly in error-handler.ts).
      if (!auth && hasBody(req) && !req.is("application/json")) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
      const params = route.params ? parseInput("params", route.params as z.ZodType, req.params) : undefined;
      const query = route.query ? parseInput("query", route.query as z.ZodType, req.query) : undefined;
      const body = route.body ? parseInput("body", route.body as z.ZodType, req.body) : undefined;
      // authenticate() threw unless a caller is known on every route that is not open.
      const input = { params, query, body, auth, userId: auth?.userId, request: res.locals.request };
      const result = await route.handler(input as Parameters<RouteSpec["handler"]>[0], deps);
      const schema = route.response.schema as z.ZodType | undefined;
      if (!schema) {
        res.status(route.response.status).end();
        return;
      }
      if (deps.config.API_VALIDATE_RESPONSES) {
        const checked = schema.safeParse(result);
        if (!checked.success) {
          throw new Error(`response of ${routeKey(route)} does not match its schema: ${checked.error.message}`);
        }
      }
      const alternative = route.response.alternative;
      res.status(alternative?.when(result as never) ? alternative.status : route.response.status).json(result);
    });
  }
  // A known path asked with a method it does not have: 405 with Allow, not 404 (after all its routes).
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  for (const [path, methods] of methodsByPath) router.all(path, methodNotAllowed(methods));
  return router;
}
