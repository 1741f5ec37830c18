import { FriendStatus, type Models } from "@im/data";
import { friendNoticeTypes } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { removeFromGroups } from "./friend-groups.js";
import { withPair } from "./mutate.js";
import { loadTarget } from "./target.js";

/**
 * Ends every relationship between us in both directions (friendship, follows, pending requests, fan
 * docs), keeping blacklist flags (seed /friends/delete). Idempotent; notice 505 only when something ended.
 */
export async function removeFriend(deps: ApiDeps, me: number, userId: number): Promise<void> {
  await loadTarget(deps, me, userId, { allowDisabled: true });
  await withPair(deps, me, userId, (pair) => {
    const removed = pair.mine.status !== FriendStatus.stranger || pair.theirs.status !== FriendStatus.stranger;
    pair.mine.status = FriendStatus.stranger;
    pair.theirs.status = FriendStatus.stranger;
    pair.afterSave(() => dropFromEachOthersGroups(deps.models, me, userId));
    if (removed) pair.notify(friendNoticeTypes.delete);
  });
}

async function dropFromEachOthersGroups(models: Models, me: number, other: number): Promise<void> {
  await Promise.all([removeFromGroups(models, me, other), removeFromGroups(models, other, me)]);
}
