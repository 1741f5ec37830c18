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

/**
 * Who a route's notices go to, for the per-pair budget: the user and/or room it acts on (`:userId`,
 * `:roomId`) and every user it names in its body (`userIds`: members added at room creation or invited).
 */
function targetsOf(params: unknown, body: unknown): string[] {
  const { userId, roomId } = (typeof params === "object" && params !== null ? params : {}) as { userId?: unknown; roomId?: unknown };
  const targets = userId === undefined && roomId === undefined ? [] : [`${String(userId ?? "")}:${String(roomId ?? "")}`];
  const named = (typeof body === "object" && body !== null ? (body as { userIds?: unknown }).userIds : undefined) ?? [];
  if (Array.isArray(named)) for (const id of named) targets.push(`${String(id)}:`);
  return targets;
}

/**
 * Counts an action that sends another user a notice (friend request, follow, invite, ...) against the
 * caller's budgets in Redis (API_RATE_NOTICE_*): per caller, and per caller and target.
 * @throws AppError RATE_LIMITED (429, retryable, with retryAfterSeconds) when over either budget; Redis's own
 *   error when it cannot be reached (answered SERVICE_UNAVAILABLE by the error handler).
 */
export async function takeNoticeBudget(deps: ApiDeps, callerId: number, params: unknown, body?: unknown): Promise<void> {
  const { perUser, perPair } = budgetsOf(deps);
  for (const target of targetsOf(params, body)) {
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
      if (input.auth) await takeNoticeBudget(deps, input.auth.userId, input.params, input.body);
      return route.handler(input, deps);
    };
    // The budget's refusal is one of the route's documented answers (OpenAPI, schemathesis).
    const errors = route.errors?.includes("RATE_LIMITED") ? route.errors : [...(route.errors ?? []), "RATE_LIMITED" as const];
    return { ...route, handler, errors };
  });
}
