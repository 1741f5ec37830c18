import { FriendStatus, type UserDoc, UserStatus } from "@im/data";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { SYSTEM_NOTIFIER_ID } from "../users/system-accounts.js";
import type { Pair } from "./pair.js";

/**
 * The user a friend operation acts on: not me, existing and, unless the operation only undoes a
 * relationship (unfollow, delete, unblock), not disabled; never the system notifier 10005 (USER_NOT_FOUND).
 */
export async function loadTarget(deps: ApiDeps, me: number, userId: number, options: { allowDisabled?: boolean } = {}): Promise<UserDoc> {
  if (userId === me) throw new AppError("CANNOT_TARGET_SELF");
  // The system notifier (10005) is the platform speaking, not someone to befriend, follow or block.
  if (userId === SYSTEM_NOTIFIER_ID) throw new AppError("USER_NOT_FOUND");
  const filter = options.allowDisabled ? { userId } : { userId, status: { $ne: UserStatus.disabled } };
  const user = await deps.models.users.findOne(filter).lean();
  if (!user) throw new AppError("USER_NOT_FOUND");
  return user;
}

/** Fails when either side has blocked the other: they blocked me first, then I blocked them. */
export function assertNotBlocked(pair: Pair): void {
  if (pair.theirs.blacklist === 1) throw new AppError("BLOCKED_BY_USER");
  if (pair.mine.blacklist === 1) throw new AppError("USER_IS_BLOCKED");
}

export const settingOf = (user: UserDoc, key: "friendsVerify" | "allowAtt" | "allowGreet"): number => user.settings?.[key] ?? 1;

/** Makes both directions status 2 (friends). */
export function makeFriends(pair: Pair): void {
  pair.mine.status = FriendStatus.friends;
  pair.theirs.status = FriendStatus.friends;
}
