import { withNoticeLimit } from "../../http/notice-limit.js";
import type { RouteSpec } from "../../http/route.js";
import { groupRoutes } from "./group-routes.js";
import { listRoutes } from "./list-routes.js";
import { relationshipRoutes } from "./relationship-routes.js";

export { recountUser } from "./counts.js";

/** Friends, follows, blacklist and friend groups (seed 三.2). Lists come before /v1/friends/:userId. */
export const friendRoutes: RouteSpec[] = [...listRoutes, ...withNoticeLimit(relationshipRoutes), ...groupRoutes];
