import { authRoutes } from "./features/auth/routes.js";
import { clientConfigRoutes } from "./features/client-config/routes.js";
import { conversationRoutes } from "./features/conversations/routes.js";
import { friendRoutes } from "./features/friends/routes.js";
import { healthRoutes } from "./features/health/routes.js";
import { pushRoutes } from "./features/push/routes.js";
import { roomsRoutes } from "./features/rooms/routes.js";
import { smsRoutes } from "./features/sms/routes.js";
import { userRoutes } from "./features/users/routes.js";
import type { RouteSpec } from "./http/route.js";

/** Every route of the API, in the order they are matched and documented. */
export const allRoutes: RouteSpec[] = [
  ...healthRoutes,
  ...clientConfigRoutes,
  ...smsRoutes,
  ...authRoutes,
  ...userRoutes,
  ...friendRoutes,
  ...conversationRoutes,
  ...roomsRoutes,
  ...pushRoutes,
];
