import { FriendStatus, type Models } from "@im/data";
import { isDuplicateKeyError, withLocks } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { FRIEND_LOCK_OPTIONS, friendLock } from "./mutate.js";
import { type FriendGroupView, toFriendGroup } from "./views.js";

export const MAX_FRIEND_GROUPS = 50;

export interface GroupInput {
  groupName?: string | undefined;
  userIds?: number[] | undefined;
}

/** Fails with NOT_FRIENDS naming every id that is not a visible friend of mine. */
async function assertAllFriends(models: Models, me: number, userIds: number[]): Promise<void> {
  if (userIds.length === 0) return;
  const rows = await models.friendships
    .find({ userId: me, toUserId: { $in: userIds }, status: FriendStatus.friends, blacklist: { $ne: 1 } }, { toUserId: 1 })
    .lean();
  const friends = new Set(rows.map((row) => row.toUserId));
  const issues = userIds.flatMap((id, index) =>
    friends.has(id) ? [] : [{ field: `body.userIds.${index}`, message: `user ${id} is not your friend` }],
  );
  if (issues.length > 0) throw new AppError("NOT_FRIENDS", { issues });
}

async function assertNameFree(models: Models, me: number, groupName: string, exceptId?: string): Promise<void> {
  const found = await models.friendGroups.findOne({ userId: me, groupName }, { _id: 1 }).lean();
  if (found && found._id.toHexString() !== exceptId) throw new AppError("FRIEND_GROUP_NAME_TAKEN");
}

const asNameTaken = (error: unknown): never => {
  if (isDuplicateKeyError(error)) throw new AppError("FRIEND_GROUP_NAME_TAKEN", { cause: error });
  throw error;
};

const underMyLock = <T>(deps: ApiDeps, me: number, work: () => Promise<T>) =>
  withLocks(deps.redis, [friendLock(me)], work, FRIEND_LOCK_OPTIONS);

export async function listGroups(models: Models, me: number): Promise<FriendGroupView[]> {
  const groups = await models.friendGroups.find({ userId: me }).sort({ createTime: 1, _id: 1 }).lean();
  return groups.map(toFriendGroup);
}

export function createGroup(deps: ApiDeps, me: number, groupName: string, userIds: number[]): Promise<FriendGroupView> {
  return underMyLock(deps, me, async () => {
    if ((await deps.models.friendGroups.countDocuments({ userId: me })) >= MAX_FRIEND_GROUPS) throw new AppError("FRIEND_GROUP_LIMIT");
    await assertNameFree(deps.models, me, groupName);
    await assertAllFriends(deps.models, me, userIds);
    const now = Date.now();
    const group = await deps.models.friendGroups
      .create({ userId: me, groupName, userIdList: userIds, createTime: now, modifyTime: now })
      .catch(asNameTaken);
    return toFriendGroup(group.toObject());
  });
}

export function updateGroup(deps: ApiDeps, me: number, groupId: string, input: GroupInput): Promise<FriendGroupView> {
  return underMyLock(deps, me, async () => {
    const key = { _id: groupId, userId: me };
    if (!(await deps.models.friendGroups.exists(key))) throw new AppError("FRIEND_GROUP_NOT_FOUND");
    if (input.groupName !== undefined) await assertNameFree(deps.models, me, input.groupName, groupId);
    if (input.userIds !== undefined) await assertAllFriends(deps.models, me, input.userIds);
    const set = {
      ...(input.groupName !== undefined ? { groupName: input.groupName } : {}),
      ...(input.userIds !== undefined ? { userIdList: input.userIds } : {}),
      modifyTime: Date.now(),
    };
    await deps.models.friendGroups.updateOne(key, { $set: set }).catch(asNameTaken);
    const group = await deps.models.friendGroups.findOne(key).lean();
    if (!group) throw new AppError("FRIEND_GROUP_NOT_FOUND");
    return toFriendGroup(group);
  });
}

export function deleteGroup(deps: ApiDeps, me: number, groupId: string): Promise<void> {
  return underMyLock(deps, me, async () => {
    const { deletedCount } = await deps.models.friendGroups.deleteOne({ _id: groupId, userId: me });
    if (deletedCount === 0) throw new AppError("FRIEND_GROUP_NOT_FOUND");
  });
}

/** Takes `member` out of every group of `owner`. The caller holds owner's friend lock. */
export async function removeFromGroups(models: Models, owner: number, member: number): Promise<void> {
  const groups = await models.friendGroups.find({ userId: owner, userIdList: member }).lean();
  const now = Date.now();
  for (const group of groups) {
    const userIdList = group.userIdList.filter((id) => id !== member);
    await models.friendGroups.updateOne({ _id: group._id }, { $set: { userIdList, modifyTime: now } });
  }
}
