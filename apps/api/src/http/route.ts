import type { Language } from "@im/protocol";
import type { Logger } from "@im/telemetry";
import type { z } from "zod";
import type { ApiDeps } from "../context.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

import type { AuthInfo } from "@im/auth";

export type { AuthInfo } from "@im/auth";

/** Per-request facts a handler may need besides its parsed input. */
export interface RequestInfo {
  requestId: string;
  ip: string;
  language: Language;
  logger: Logger;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HandlerInput<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** Set on every route that is not public; `requireAuth` narrows it. */
  auth: AuthInfo | undefined;
  request: RequestInfo;
}

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
export interface RouteSpec<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: HttpMethod;
  /** Express-style path, e.g. /v1/users/:userId. */
  path: string;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  response: RouteResponse<R>;
  handler: (input: HandlerInput<P, Q, B>, deps: ApiDeps) => Promise<R extends Schema ? z.input<R> : undefined>;
}

/** Declares a route with full type inference from its schemas. */
export function defineRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** "GET /v1/users/:userId", the form used in API_PUBLIC_ROUTES. */
export function routeKey(route: Pick<RouteSpec, "method" | "path">): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}
