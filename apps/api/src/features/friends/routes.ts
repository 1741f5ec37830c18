import type { RouteSpec } from "../../http/route.js";

/** Friends, follows, blacklist and friend groups (seed 三.2). */
export const friendRoutes: RouteSpec[] = [];
