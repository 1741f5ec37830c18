import { type RouteSpec as GenericRouteSpec, type RouteAuth, routeDefiner } from "@im/http";
import type { UploadDeps } from "./context.js";

/** A route of the upload app: its handler takes the app's deps. */
export type RouteSpec = GenericRouteSpec<unknown, unknown, unknown, unknown, RouteAuth, UploadDeps>;

/** Declares a route of the upload app with full type inference from its schemas (see @im/http RouteSpec). */
export const defineRoute = routeDefiner<UploadDeps>();
