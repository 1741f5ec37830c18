import type { Models } from "@im/data";
import { raiseCounter } from "@im/infra";
import type { ApiDeps } from "../../context.js";

/** The Redis counter behind userIds (the seed's idx_user). INCR is atomic on every Redis. */
export const USER_ID_COUNTER = "idx:user";
/** Ordinary accounts get ids above this; ids below it are for system accounts. */
export const FIRST_USER_ID = 100_000;

async function highestUserId(models: Models): Promise<number> {
  const top = await models.users.findOne({}, { userId: 1 }).sort({ userId: -1 }).lean();
  return Math.max(top?.userId ?? 0, FIRST_USER_ID);
}

/** Raises the counter to the highest stored userId, so ids stay unique even after Redis lost its data. */
export async function syncUserIdCounter(deps: Pick<ApiDeps, "models" | "redis">): Promise<void> {
  await raiseCounter(deps.redis, USER_ID_COUNTER, await highestUserId(deps.models));
}

export async function nextUserId(deps: Pick<ApiDeps, "models" | "redis">): Promise<number> {
  const id = await deps.redis.incr(USER_ID_COUNTER);
  if (id > FIRST_USER_ID) return id;
  // The counter is gone (Redis lost its data): INCR restarted from 1. Raise it past the stored ids first.
  await syncUserIdCounter(deps);
  return deps.redis.incr(USER_ID_COUNTER);
}
