import { withNoticeLimit } from "../../http/notice-limit.js";
import type { RouteSpec } from "../../http/route.js";
import { memberRoutes } from "./member-routes.js";
import { roomRoutes } from "./room-routes.js";

/** Rooms (group chats, seed 三.3). */
export const roomsRoutes: RouteSpec[] = [...withNoticeLimit(roomRoutes), ...withNoticeLimit(memberRoutes)];
