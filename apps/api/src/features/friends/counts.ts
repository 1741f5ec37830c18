import { FriendStatus, type Models } from "@im/data";

export interface UserCounts {
  friendsCount: number;
  attCount: number;
  fansCount: number;
}

/** The denormalised counts of one user, computed from u_friends and u_fans. */
export async function countRelations(models: Models, userId: number): Promise<UserCounts> {
  const visible = { userId, blacklist: { $ne: 1 } };
  const [friendsCount, attCount, fansCount] = await Promise.all([
    models.friendships.countDocuments({ ...visible, status: FriendStatus.friends }),
    models.friendships.countDocuments({ ...visible, status: { $gte: FriendStatus.following } }),
    models.fans.countDocuments({ userId }),
  ]);
  return { friendsCount, attCount, fansCount };
}

/**
 * Recomputes a user's friendsCount, attCount and fansCount and $sets them (never $inc: FerretDB v1
 * updates are not atomic). Exact when the caller holds the user's friend lock; without it, a repair.
 */
export async function recountUser(models: Models, userId: number): Promise<UserCounts> {
  const counts = await countRelations(models, userId);
  await models.users.updateOne({ userId }, { $set: counts });
  return counts;
}
