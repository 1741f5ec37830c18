import { FriendStatus, UserStatus } from "@im/data";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";

/**
 * Fails with NOT_FRIENDS, naming each offending entry, unless every user (other than `me`) is a friend of
 * `me` (status 2, neither side blocking) whose account is not disabled.
 */
export async function requireFriends(deps: ApiDeps, me: number, userIds: number[], field: string): Promise<void> {
  if (userIds.length === 0) return;
  const rows = await deps.models.friendships
    .find({ userId: me, toUserId: { $in: userIds }, status: FriendStatus.friends }, { _id: 0, toUserId: 1, blacklist: 1, isBeenBlack: 1 })
    .lean();
  const friendIds = rows.filter((row) => row.blacklist !== 1 && row.isBeenBlack !== 1).map((row) => row.toUserId);
  const enabled = new Set(
    (await deps.models.users.find({ userId: { $in: friendIds }, status: { $ne: UserStatus.disabled } }, { _id: 0, userId: 1 }).lean()).map(
      (u) => u.userId,
    ),
  );
  const issues = userIds.flatMap((userId, index) =>
    userId === me || enabled.has(userId) ? [] : [{ field: `${field}.${index}`, message: `user ${userId} is not your friend` }],
  );
  if (issues.length > 0) throw new AppError("NOT_FRIENDS", { issues });
}
