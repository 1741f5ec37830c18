import { withNoticeLimit } from "../../http/notice-limit.js";
import type { RouteSpec } from "../../http/route.js";
import { memberRoutes } from "./member-routes.js";
import { roomRoutes } from "./room-routes.js";
import { shareRoutes } from "./share-routes.js";

/** Rooms (group chats, seed 三.3) and their shared files. */
export const roomsRoutes: RouteSpec[] = [...withNoticeLimit(roomRoutes), ...withNoticeLimit(memberRoutes), ...withNoticeLimit(shareRoutes)];
