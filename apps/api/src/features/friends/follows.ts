import { FriendStatus } from "@im/data";
import { AppError, friendNoticeTypes } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { withPair } from "./mutate.js";
import { assertNotBlocked, loadTarget, settingOf } from "./target.js";

/** Follows a user without asking (seed /friends/attention/add); following again changes nothing. */
export async function follow(deps: ApiDeps, me: number, userId: number): Promise<void> {
  const target = await loadTarget(deps, me, userId);
  if (settingOf(target, "allowAtt") === 0) throw new AppError("FOLLOW_NOT_ALLOWED");
  await withPair(deps, me, userId, (pair) => {
    assertNotBlocked(pair);
    if (pair.mine.status === FriendStatus.friends) throw new AppError("ALREADY_FRIENDS");
    if (pair.mine.status === FriendStatus.following) return;
    pair.mine.status = FriendStatus.following;
    pair.notify(friendNoticeTypes.follow);
  });
}

/** Stops following (seed /friends/attention/delete); friends must use delete instead. Idempotent. */
export async function unfollow(deps: ApiDeps, me: number, userId: number): Promise<void> {
  await loadTarget(deps, me, userId, { allowDisabled: true });
  await withPair(deps, me, userId, (pair) => {
    if (pair.mine.status === FriendStatus.friends) throw new AppError("ALREADY_FRIENDS");
    if (pair.mine.status !== FriendStatus.following) return;
    pair.mine.status = FriendStatus.stranger;
    pair.notify(friendNoticeTypes.unfollow);
  });
}
