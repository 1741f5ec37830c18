import { FriendStatus } from "@im/data";
import { AppError, friendNoticeTypes } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { withPair } from "./mutate.js";
import { loadTarget } from "./target.js";

/**
 * Blocks a user (seed /friends/blacklist/add). Their follow of me (or pending request) ends; a
 * friendship stays but is hidden from my lists and counts until I unblock. Idempotent.
 */
export async function block(deps: ApiDeps, me: number, userId: number): Promise<void> {
  await loadTarget(deps, me, userId);
  await withPair(deps, me, userId, (pair) => {
    if (pair.mine.blacklist === 1) return;
    pair.mine.blacklist = 1;
    if (pair.theirs.status === FriendStatus.following) pair.theirs.status = FriendStatus.stranger;
    pair.notify(friendNoticeTypes.blacklist);
  });
}

/** Unblocks a user (seed /friends/blacklist/delete). */
export async function unblock(deps: ApiDeps, me: number, userId: number): Promise<void> {
  await loadTarget(deps, me, userId, { allowDisabled: true });
  await withPair(deps, me, userId, (pair) => {
    if (pair.mine.blacklist !== 1) throw new AppError("NOT_BLOCKED");
    pair.mine.blacklist = 0;
    pair.notify(friendNoticeTypes.unblacklist);
  });
}
