import { FriendStatus, type Models, type UserDoc } from "@im/data";
import { type PageQuery, paged } from "../../http/common-schemas.js";
import { toFriendItem, toUserItem } from "./views.js";

/** Loads the profiles of one page of users with a single query, keyed by userId. */
async function profiles(models: Models, ids: number[]): Promise<Map<number, UserDoc>> {
  if (ids.length === 0) return new Map();
  const users = await models.users.find({ userId: { $in: ids } }).lean();
  return new Map(users.map((user) => [user.userId, user]));
}

/** Rows whose user still exists, each joined with that user's profile. */
async function joined<R>(models: Models, rows: R[], idOf: (row: R) => number) {
  const byId = await profiles(models, rows.map(idOf));
  return rows.flatMap((row) => {
    const user = byId.get(idOf(row));
    return user ? [{ row, user }] : [];
  });
}

const newestFirst = { createTime: -1, _id: -1 } as const;

/** My friends (status 2), without the ones I blocked. */
export async function listFriends(models: Models, me: number, query: PageQuery) {
  const filter = { userId: me, status: FriendStatus.friends, blacklist: { $ne: 1 } };
  const page = await paged(query, (skip, limit) => models.friendships.find(filter).sort(newestFirst).skip(skip).limit(limit).lean());
  const items = await joined(models, page.items, (row) => row.toUserId);
  return { ...page, items: items.map(({ row, user }) => toFriendItem(user, row)) };
}

/** Users I follow or asked to be friends (status 1), without the ones I blocked. */
export async function listFollows(models: Models, me: number, query: PageQuery) {
  const filter = { userId: me, status: FriendStatus.following, blacklist: { $ne: 1 } };
  const page = await paged(query, (skip, limit) => models.friendships.find(filter).sort(newestFirst).skip(skip).limit(limit).lean());
  const items = await joined(models, page.items, (row) => row.toUserId);
  return { ...page, items: items.map(({ row, user }) => toUserItem(user, row.createTime)) };
}

/** Users I blocked. */
export async function listBlacklist(models: Models, me: number, query: PageQuery) {
  const filter = { userId: me, blacklist: 1 };
  const page = await paged(query, (skip, limit) => models.friendships.find(filter).sort(newestFirst).skip(skip).limit(limit).lean());
  const items = await joined(models, page.items, (row) => row.toUserId);
  return { ...page, items: items.map(({ row, user }) => toUserItem(user, row.modifyTime)) };
}

/** Users who follow me or are my friends (u_fans). */
export async function listFans(models: Models, me: number, query: PageQuery) {
  const page = await paged(query, (skip, limit) => models.fans.find({ userId: me }).sort(newestFirst).skip(skip).limit(limit).lean());
  const items = await joined(models, page.items, (row) => row.toUserId);
  return { ...page, items: items.map(({ row, user }) => toUserItem(user, row.createTime)) };
}

/** My "new friends" notices, newest first, with the other user's nickname and avatar. */
export async function listNewFriends(models: Models, me: number, query: PageQuery) {
  const page = await paged(query, (skip, limit) => models.newFriends.find({ userId: me }).sort(newestFirst).skip(skip).limit(limit).lean());
  const byId = await profiles(models, [...new Set(page.items.map((row) => row.toUserId))]);
  const items = page.items.map((row) => {
    const user = byId.get(row.toUserId);
    return {
      toUserId: row.toUserId,
      nickname: user?.nickname ?? "",
      avatarUrl: user?.avatarUrl ?? "",
      type: row.type,
      content: row.content,
      direction: row.direction,
      createTime: row.createTime,
    };
  });
  return { ...page, items };
}
