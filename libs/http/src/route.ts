import type { AuthInfo } from "@im/auth";
import type { ErrorCode, Language } from "@im/protocol";
import type { Logger } from "@im/telemetry";
import type { z } from "zod";

export type { AuthInfo } from "@im/auth";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** Per-request facts a handler may need besides its parsed input. */
export interface RequestInfo {
  requestId: string;
  ip: string;
  language: Language;
  logger: Logger;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Who may call a route:
 * - `user`: a logged-in caller, always; the handler gets `userId` and `auth`. Such a route can never be
 *   made public (listing it in API_PUBLIC_ROUTES stops start-up).
 * - `public`: callable without a token while listed in API_PUBLIC_ROUTES (the default lists every public
 *   route); an operator who removes it from the list makes it need a token. `auth` is set when a token came.
 */
export type RouteAuth = "user" | "public";

interface BaseInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  request: RequestInfo;
}

/** What a handler receives: its parsed input and, on `user` routes, the caller. */
export type HandlerInput<P, Q, B, A extends RouteAuth = RouteAuth> = BaseInput<P, Q, B> &
  (A extends "user"
    ? {
        /** The caller's user id. */
        userId: number;
        /** The caller's session. */
        auth: AuthInfo;
      }
    : { auth: AuthInfo | undefined });

export interface RouteResponse<R> {
  status: number;
  description: string;
  /** The response body's schema; absent for 204 responses. */
  schema?: R;
  /** A second success status some answers take (e.g. 202 "pending" beside 200 "done"), told by the body. */
  alternative?: { status: number; description: string; when: (body: R extends Schema ? z.input<R> : undefined) => boolean };
}

/**
 * One HTTP route: its input schemas, its response schema and its handler. The same object registers
 * the Express route and writes the route's OpenAPI operation, so the two cannot drift.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown, R = unknown, A extends RouteAuth = RouteAuth, D = unknown> {
  method: HttpMethod;
  /** Express-style path, e.g. /v1/users/:userId. */
  path: string;
  summary: string;
  tags: string[];
  /** Who may call it (see RouteAuth). */
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  response: RouteResponse<R>;
  /**
   * The catalogue errors the handler itself may answer (beside the ones every route may: validation,
   * authentication, rate limits, internal). Each becomes a documented response under its catalogue status.
   */
  errors?: readonly ErrorCode[];
  /**
   * The request body's media type. `json` (default): JSON, or a form from an authenticated caller, parsed and
   * checked against `body`. `stream`: the handler reads the raw request itself (uploads); `body` is not used.
   */
  bodyType?: "json" | "stream";
  handler: (input: HandlerInput<P, Q, B, A> & StreamInput, deps: D) => Promise<R extends Schema ? z.input<R> : undefined>;
}

/** What a `bodyType: "stream"` route's handler gets besides its parsed input: the raw request and response. */
export interface StreamInput {
  /** The request, unread (stream routes only). */
  raw?: import("express").Request;
  /** The response, for headers a handler sets itself (stream routes only). */
  reply?: import("express").Response;
}

/**
 * Makes the `defineRoute` of an app whose handlers take deps `D`: it declares a route with full type
 * inference from its schemas (`export const defineRoute = routeDefiner<ApiDeps>()`).
 */
export function routeDefiner<D>() {
  return function defineRoute<
    A extends RouteAuth,
    P extends Schema | undefined = undefined,
    Q extends Schema | undefined = undefined,
    B extends Schema | undefined = undefined,
    R extends Schema | undefined = undefined,
  >(spec: RouteSpec<P, Q, B, R, A, D>): RouteSpec<unknown, unknown, unknown, unknown, RouteAuth, D> {
    return spec as unknown as RouteSpec<unknown, unknown, unknown, unknown, RouteAuth, D>;
  };
}

/** A route of any inputs and deps, as the OpenAPI writer and the public-route check see it. */
export type AnyRouteSpec = RouteSpec<unknown, unknown, unknown, unknown, RouteAuth, never>;

/** "GET /v1/users/:userId", the form used in API_PUBLIC_ROUTES. */
export function routeKey(route: Pick<AnyRouteSpec, "method" | "path">): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}
