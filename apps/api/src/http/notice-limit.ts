import { Budget, type Redis } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../context.js";
import type { RouteSpec } from "./route.js";

interface NoticeBudgets {
  perUser: Budget;
  perPair: Budget;
}

const budgetsByRedis = new WeakMap<Redis, NoticeBudgets>();

function budgetsOf(deps: ApiDeps): NoticeBudgets {
  let budgets = budgetsByRedis.get(deps.redis);
  if (!budgets) {
    const durationSeconds = deps.config.API_RATE_NOTICE_WINDOW_SECONDS;
    budgets = {
      perUser: new Budget({ name: "notice:user", points: deps.config.API_RATE_NOTICE_PER_USER, durationSeconds }, deps.redis),
      perPair: new Budget({ name: "notice:pair", points: deps.config.API_RATE_NOTICE_PER_PAIR, durationSeconds }, deps.redis),
    };
    budgetsByRedis.set(deps.redis, budgets);
  }
  return budgets;
}

/** The user and/or room a route acts on (`:userId`, `:roomId`), for the per-pair budget; none for e.g. creating a room. */
function targetOf(params: unknown): string | undefined {
  const { userId, roomId } = (typeof params === "object" && params !== null ? params : {}) as { userId?: unknown; roomId?: unknown };
  if (userId === undefined && roomId === undefined) return undefined;
  return `${String(userId ?? "")}:${String(roomId ?? "")}`;
}

/**
 * Counts an action that sends another user a notice (friend request, follow, invite, ...) against the
 * caller's budgets in Redis (API_RATE_NOTICE_*): per caller, and per caller and target.
 * @throws AppError RATE_LIMITED (429, retryable, with retryAfterSeconds) when over either budget; Redis's own
 *   error when it cannot be reached (answered SERVICE_UNAVAILABLE by the error handler).
 */
export async function takeNoticeBudget(deps: ApiDeps, callerId: number, params: unknown): Promise<void> {
  const { perUser, perPair } = budgetsOf(deps);
  const target = targetOf(params);
  if (target !== undefined) {
    const pair = await perPair.take(`${callerId}:${target}`);
    if (!pair.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: pair.retryAfterSeconds });
  }
  const user = await perUser.take(String(callerId));
  if (!user.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: user.retryAfterSeconds });
}

/**
 * Puts the notice budgets in front of every changing route (not GET) of a list: use it where routes are
 * declared, `export const routes = withNoticeLimit([...])`. Unauthenticated calls are left to the route.
 */
export function withNoticeLimit(routes: RouteSpec[]): RouteSpec[] {
  return routes.map((route) => {
    if (route.method === "get") return route;
    const handler: RouteSpec["handler"] = async (input, deps) => {
      if (input.auth) await takeNoticeBudget(deps, input.auth.userId, input.params);
      return route.handler(input, deps);
    };
    // The budget's refusal is one of the route's documented answers (OpenAPI, schemathesis).
    const errors = route.errors?.includes("RATE_LIMITED") ? route.errors : [...(route.errors ?? []), "RATE_LIMITED" as const];
    return { ...route, handler, errors };
  });
}
