import { type RouteSpec as GenericRouteSpec, type RouteAuth, routeDefiner } from "@im/http";
import type { ApiDeps } from "../context.js";

export type { AuthInfo, HandlerInput, HttpMethod, RequestInfo, RouteAuth, RouteResponse } from "@im/http";
export { routeKey } from "@im/http";

/** A route of the API: its handler takes the API's deps. */
export type RouteSpec = GenericRouteSpec<unknown, unknown, unknown, unknown, RouteAuth, ApiDeps>;

/** Declares an API route with full type inference from its schemas (see @im/http RouteSpec). */
export const defineRoute = routeDefiner<ApiDeps>();
