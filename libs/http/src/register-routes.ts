import { resolveSession } from "@im/auth";
import { ConfigError } from "@im/config";
import type { Redis } from "@im/infra";
import { AppError } from "@im/protocol";
import { type Request, type Response, Router } from "express";
import type { z } from "zod";
import { hasBody, methodNotAllowed } from "./error-handler.js";
import { type AnyRouteSpec, type AuthInfo, type RouteAuth, type RouteSpec, routeKey } from "./route.js";
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

async function authenticate(req: Request, redis: Redis, required: boolean): Promise<AuthInfo | undefined> {
  const token = readToken(req);
  if (!token) {
    if (required) throw new AppError(req.get("authorization") ? "TOKEN_INVALID" : "TOKEN_MISSING");
    return undefined;
  }
  if (token.length > 512) throw new AppError("TOKEN_INVALID");
  const auth = await resolveSession(redis, token);
  if (!auth && required) throw new AppError("TOKEN_INVALID");
  return auth ?? undefined;
}

/**
 * The routes callable without a token: the `public` routes listed in `configured` (an app's *_PUBLIC_ROUTES
 * setting, named by `setting` in the error). Throws ConfigError when the list names a route declared
 * `auth: "user"` (its handler needs a caller, so it cannot be opened).
 */
export function openRoutes(routes: readonly AnyRouteSpec[], configured: readonly string[], setting = "API_PUBLIC_ROUTES"): Set<string> {
  const listed = new Set(configured);
  const refused = routes.filter((route) => route.auth === "user" && listed.has(routeKey(route))).map(routeKey);
  if (refused.length > 0) {
    throw new ConfigError(refused.map((key) => `${setting}: ${key} needs a logged-in caller and cannot be public`));
  }
  return listed;
}

/** How registerRoutes authenticates and checks: from the app's settings. */
export interface RegisterOptions {
  /** Where sessions live (resolveSession of @im/auth). */
  redis: Redis;
  /** "METHOD /path" of the routes callable without a token (the app's *_PUBLIC_ROUTES). */
  publicRoutes: readonly string[];
  /** The setting's name, for the start-up error when it lists a `user` route. */
  publicRoutesSetting?: string;
  /** Check every response against its schema (tests). */
  validateResponses: boolean;
}

/**
 * Mounts every route on one router: authentication, input parsing, the handler, the response. Routes with
 * `bodyType: "stream"` get the unread request (`raw`) and the response (`reply`) and must read the body themselves.
 */
export function registerRoutes<D>(
  routes: readonly RouteSpec<unknown, unknown, unknown, unknown, RouteAuth, D>[],
  deps: D,
  options: RegisterOptions,
): Router {
  const router = Router();
  const publicRoutes = openRoutes(routes, options.publicRoutes, options.publicRoutesSetting);
  // A literal path (/v1/uploads/multipart) also matches a parameter path beside it (/v1/uploads/:uploadId):
  // a method only the parameter path has must not read the literal segment as its parameter, but answer 405.
  const literalPaths = new Set(routes.filter((route) => !route.path.includes(":")).map((route) => route.path));
  const notLiteral = (req: Request, _res: Response, next: (route?: "route") => void) =>
    literalPaths.has(req.path) ? next("route") : next();
  for (const route of routes) {
    const isPublic = route.auth === "public" && publicRoutes.has(routeKey(route));
    const stream = route.bodyType === "stream";
    const guards = route.path.includes(":") ? [notLiteral] : [];
    router[route.method](route.path, ...guards, async (req: Request, res: Response) => {
      const auth = await authenticate(req, options.redis, !isPublic);
      if (auth) res.locals.auth = auth;
      // A form body from nobody in particular is what a foreign page can post from a visitor's browser
      // without a CORS preflight: unauthenticated calls take JSON only (jsonOnly in error-handler.ts).
      if (!auth && hasBody(req) && !req.is("application/json")) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
      const params = route.params ? parseInput("params", route.params as z.ZodType, req.params) : undefined;
      const query = route.query ? parseInput("query", route.query as z.ZodType, req.query) : undefined;
      const body = route.body && !stream ? parseInput("body", route.body as z.ZodType, req.body) : undefined;
      // authenticate() threw unless a caller is known on every route that is not open.
      const input = {
        params,
        query,
        body,
        auth,
        userId: auth?.userId,
        request: res.locals.request,
        ...(stream ? { raw: req, reply: res } : {}),
      };
      const result = await route.handler(input as Parameters<typeof route.handler>[0], deps);
      if (res.headersSent) return; // the handler answered itself (a download streamed through)
      const schema = route.response.schema as z.ZodType | undefined;
      if (!schema) {
        res.status(route.response.status).end();
        return;
      }
      if (options.validateResponses) {
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
