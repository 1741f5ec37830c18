import { FriendStatus } from "@im/data";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { withPair } from "./mutate.js";
import type { Side } from "./pair.js";
import { loadTarget } from "./target.js";
import { type FriendItem, toFriendItem } from "./views.js";

export type FriendPatch = Partial<Pick<Side, "remarkName" | "offlineNoPushMsg" | "chatRecordTimeOut">>;

/** Changes my remark name and per-friend chat settings (seed /friends/remark, /friends/update/OfflineNoPushMsg). */
export async function updateFriend(deps: ApiDeps, me: number, userId: number, patch: FriendPatch): Promise<FriendItem> {
  const target = await loadTarget(deps, me, userId);
  const side = await withPair(deps, me, userId, (pair) => {
    if (pair.mine.status !== FriendStatus.friends) throw new AppError("NOT_FRIENDS");
    Object.assign(pair.mine, patch);
    return pair.mine;
  });
  const fresh = await deps.models.users.findOne({ userId }).lean();
  return toFriendItem(fresh ?? target, side);
}
