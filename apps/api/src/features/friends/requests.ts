import { FriendStatus } from "@im/data";
import { AppError, friendNoticeTypes } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { withPair } from "./mutate.js";
import { assertNotBlocked, loadTarget, makeFriends, settingOf } from "./target.js";

export type AddResult = "friends" | "requested";

/**
 * Adds a friend (seed /friends/add): direct when the target does not verify or already asked me,
 * otherwise a pending request (my direction at status 1) with a greeting notice.
 */
export async function addFriend(deps: ApiDeps, me: number, userId: number, greeting: string): Promise<AddResult> {
  const target = await loadTarget(deps, me, userId);
  return withPair(deps, me, userId, (pair) => {
    assertNotBlocked(pair);
    if (pair.mine.status === FriendStatus.friends) throw new AppError("ALREADY_FRIENDS");
    if (greeting !== "" && settingOf(target, "allowGreet") === 0) throw new AppError("GREET_NOT_ALLOWED");
    if (pair.theirs.status === FriendStatus.following) {
      makeFriends(pair);
      pair.notify(friendNoticeTypes.agree);
      return "friends";
    }
    if (settingOf(target, "friendsVerify") === 0) {
      makeFriends(pair);
      pair.notify(friendNoticeTypes.directFriend, greeting);
      return "friends";
    }
    pair.mine.status = FriendStatus.following;
    pair.notify(friendNoticeTypes.greet, greeting);
    return "requested";
  });
}

/** Accepts the pending request `userId` sent me: we become friends (notice 501). */
export async function acceptRequest(deps: ApiDeps, me: number, userId: number): Promise<"friends"> {
  await loadTarget(deps, me, userId);
  return withPair(deps, me, userId, (pair) => {
    if (pair.mine.status === FriendStatus.friends) throw new AppError("ALREADY_FRIENDS");
    if (pair.theirs.status !== FriendStatus.following) throw new AppError("FRIEND_REQUEST_NOT_FOUND");
    assertNotBlocked(pair);
    makeFriends(pair);
    pair.notify(friendNoticeTypes.agree);
    return "friends" as const;
  });
}

/** Replies to a pending request either of us sent (notice 502); changes no relationship. */
export async function replyToRequest(deps: ApiDeps, me: number, userId: number, content: string): Promise<void> {
  const target = await loadTarget(deps, me, userId);
  await withPair(deps, me, userId, (pair) => {
    if (pair.mine.status !== FriendStatus.following && pair.theirs.status !== FriendStatus.following)
      throw new AppError("FRIEND_REQUEST_NOT_FOUND");
    assertNotBlocked(pair);
    if (settingOf(target, "allowGreet") === 0) throw new AppError("GREET_NOT_ALLOWED");
    pair.notify(friendNoticeTypes.reply, content);
  });
}
