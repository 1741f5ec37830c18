import { FriendStatus, type FriendshipDoc, type Models, userVersionKey, withVersionBump } from "@im/data";
import type { Redis } from "@im/infra";

/** One direction of a relationship as the use cases edit it (a u_friends record, or its absence). */
export interface Side {
  status: number;
  blacklist: number;
  /** Mirrors the other direction's blacklist; savePair keeps it in sync. */
  isBeenBlack: number;
  remarkName: string;
  offlineNoPushMsg: number;
  chatRecordTimeOut: number;
  createTime: number;
}

/** Both directions between the caller (`me`) and another user: mine = me → other, theirs = other → me. */
export interface Pair {
  me: number;
  other: number;
  mine: Side;
  theirs: Side;
}

const fromDoc = (doc: FriendshipDoc | null): Side => ({
  status: doc?.status ?? 0,
  blacklist: doc?.blacklist ?? 0,
  isBeenBlack: doc?.isBeenBlack ?? 0,
  remarkName: doc?.remarkName ?? "",
  offlineNoPushMsg: doc?.offlineNoPushMsg ?? 0,
  chatRecordTimeOut: doc?.chatRecordTimeOut ?? -1,
  createTime: doc?.createTime ?? 0,
});

export interface LoadedPair {
  pair: Pair;
  existed: { mine: boolean; theirs: boolean };
}

export async function loadPair(models: Models, me: number, other: number): Promise<LoadedPair> {
  const [mine, theirs] = await Promise.all([
    models.friendships.findOne({ userId: me, toUserId: other }).lean(),
    models.friendships.findOne({ userId: other, toUserId: me }).lean(),
  ]);
  return { pair: { me, other, mine: fromDoc(mine), theirs: fromDoc(theirs) }, existed: { mine: mine !== null, theirs: theirs !== null } };
}

const sameSide = (a: Side, b: Side) =>
  a.status === b.status &&
  a.blacklist === b.blacklist &&
  a.isBeenBlack === b.isBeenBlack &&
  a.remarkName === b.remarkName &&
  a.offlineNoPushMsg === b.offlineNoPushMsg &&
  a.chatRecordTimeOut === b.chatRecordTimeOut;

/** What saving one direction does to its u_friends record: delete it, upsert it, or leave it. */
function friendshipWrite(before: Side, after: Side, existed: boolean): "delete" | "upsert" | null {
  if (after.status === FriendStatus.stranger && after.blacklist === 0 && after.isBeenBlack === 0) return existed ? "delete" : null;
  return !existed || !sameSide(before, after) ? "upsert" : null;
}

/**
 * Writes one direction (from → to): deletes a record left with status 0 and no flags, upserts a changed
 * one, and makes the u_fans doc {userId: to, toUserId: from} exist exactly when status ≥ 1.
 */
async function saveSide(models: Models, from: number, to: number, before: Side, after: Side, existed: boolean, now: number) {
  const key = { userId: from, toUserId: to };
  const fan = { userId: to, toUserId: from };
  const writes: Array<Promise<unknown>> = [
    after.status >= FriendStatus.following
      ? models.fans.updateOne(fan, { $setOnInsert: { createTime: now } }, { upsert: true })
      : models.fans.deleteOne(fan),
  ];
  const write = friendshipWrite(before, after, existed);
  if (write === "delete") writes.push(models.friendships.deleteOne(key));
  else if (write === "upsert") {
    if (!existed || before.status !== after.status) after.createTime = now;
    writes.push(models.friendships.updateOne(key, { $set: { ...after, modifyTime: now } }, { upsert: true }));
  }
  await Promise.all(writes);
}

/**
 * Persists the edited pair against what was loaded. Call only while holding both users' friend locks.
 * A user whose own u_friends record is written (it holds their blacklist) gets a new version, so the
 * gateways' cached "who blocks whom" is replaced before this returns (libs/data cache-versions.ts).
 */
export async function savePair(deps: { models: Models; redis: Redis }, loaded: LoadedPair, edited: Pair): Promise<void> {
  const { models } = deps;
  const now = Date.now();
  const { pair: before, existed } = loaded;
  edited.mine.isBeenBlack = edited.theirs.blacklist;
  edited.theirs.isBeenBlack = edited.mine.blacklist;
  const owners = [
    friendshipWrite(before.mine, edited.mine, existed.mine) ? edited.me : null,
    friendshipWrite(before.theirs, edited.theirs, existed.theirs) ? edited.other : null,
  ].filter((userId) => userId !== null);
  await withVersionBump(deps.redis, owners.map(userVersionKey), () =>
    Promise.all([
      saveSide(models, edited.me, edited.other, before.mine, edited.mine, existed.mine, now),
      saveSide(models, edited.other, edited.me, before.theirs, edited.theirs, existed.theirs, now),
    ]),
  );
}
