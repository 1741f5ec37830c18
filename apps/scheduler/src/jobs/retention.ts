import { findCopy, type MessageDoc, type MessageModel, singleParties, userShard } from "@im/messaging";
import type { JobContext, JobSpec } from "./context.js";

export const RETENTION_JOB = "message-retention";
const DAY_MS = 86_400_000;

export interface RetentionResult {
  /** Users whose own retention setting was applied. */
  users: number;
  /** Single-chat copies deleted from user shards. */
  userCopies: number;
  /** Group messages deleted from room shards. */
  groupMessages: number;
  /** media_grants released: media messages deleted with no visible copy left. */
  mediaGrants: number;
}

/** Grants deleted per deleteMany. */
const GRANT_BATCH = 500;

/** A chatRecordTimeOut value as a retention in days, or undefined for "keep forever" (-1, 0 or invalid). */
function retentionDays(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The platform default: the client config's chatRecordTimeOut (config collection, _id "client"). */
export async function platformRetentionDays(context: Pick<JobContext, "models">): Promise<number | undefined> {
  const doc = await context.models.clientConfig.findById("client").lean();
  return retentionDays(doc?.values?.chatRecordTimeOut);
}

/**
 * Records what a deletion is about to remove as a floor: for every conversation with messages matching
 * `expired`, raises user_conversations.clearedSeq to the highest seq deleted — for `userId` only (single
 * chats), or for every member of the conversation (rooms: `userId` undefined). Done BEFORE deleting, so the
 * gaps retention leaves are always below the floor (sync never mistakes them for messages in flight); a
 * crash in between only hides messages the next run deletes.
 */
async function raiseFloors(context: JobContext, model: MessageModel, expired: Record<string, unknown>, userId?: number): Promise<void> {
  const conversations = context.db.collection<{ userId: number; conversationId: string; clearedSeq?: number }>("user_conversations");
  const ids = (await model.distinct("conversationId", expired)) as string[];
  for (const conversationId of ids) {
    const top = await model
      .findOne({ ...expired, conversationId }, { seq: 1 })
      .sort({ seq: -1 })
      .lean();
    if (!top) continue;
    const who = userId === undefined ? {} : { userId };
    const result = await conversations.updateMany(
      { ...who, conversationId, clearedSeq: { $lt: top.seq } },
      { $set: { clearedSeq: top.seq } },
    );
    if (!result.acknowledged) throw new Error(`retention floor of ${conversationId} not acknowledged`);
  }
}

/**
 * Does the other party of a single chat still have a visible copy of this message (so its media must stay
 * fetchable for them)? False for rooms (one copy) and for other conversation ids.
 */
async function otherCopyRemains(context: JobContext, doc: Pick<MessageDoc, "ownerId" | "conversationId" | "messageId">): Promise<boolean> {
  if (doc.ownerId === 0) return false;
  const parties = singleParties(doc.conversationId);
  const other = parties?.find((id) => id !== doc.ownerId);
  if (other === undefined) return false;
  const copy = await findCopy(context.shards.user(userShard(other, context.shards.count)), other, doc.conversationId, doc.messageId);
  return copy !== null && !copy.tombstone;
}

/**
 * Releases the media references of the media messages about to be deleted (issue 11 §3): their media_grants
 * (_id `<conversationId>:<messageId>`), unless the other party of a single chat still keeps a copy (their
 * retention, which deletes it later, releases it then). Done BEFORE the messages are deleted, so a run cut
 * short finds them again and repeats it (deleting a grant twice is harmless): idempotent and resumable. Reads
 * the expired media messages with a cursor and deletes grants in batches of GRANT_BATCH (bounded memory).
 * Returns how many grants were deleted.
 */
async function releaseGrants(context: JobContext, model: MessageModel, expired: Record<string, unknown>): Promise<number> {
  let released = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await context.models.mediaGrants.deleteMany({ _id: { $in: batch } });
    released += result.deletedCount;
    batch = [];
  };
  const docs = model
    .find({ ...expired, media: { $exists: true } }, { ownerId: 1, conversationId: 1, messageId: 1 })
    .lean<Pick<MessageDoc, "ownerId" | "conversationId" | "messageId">[]>()
    .cursor();
  for await (const doc of docs) {
    if (await otherCopyRemains(context, doc)) continue;
    batch.push(`${doc.conversationId}:${doc.messageId}`);
    if (batch.length >= GRANT_BATCH) await flush();
  }
  await flush();
  return released;
}

/**
 * Deletes chat records older than their retention: each user's single-chat copies (user shards, ownerId =
 * the user) by the user's settings.chatRecordTimeOut, and group messages (room shards, ownerId 0) by the
 * client config's chatRecordTimeOut. -1 keeps forever. Before each deletion the floor is raised
 * (raiseFloors) and the media messages' grants are released (releaseGrants). Every step is a deleteMany by
 * time, so a run cut short is completed by the next one.
 */
export async function deleteExpiredMessages(context: JobContext, now = Date.now()): Promise<RetentionResult> {
  const result: RetentionResult = { users: 0, userCopies: 0, groupMessages: 0, mediaGrants: 0 };
  const users = context.models.users
    .find({ "settings.chatRecordTimeOut": { $gt: 0 } }, { userId: 1, "settings.chatRecordTimeOut": 1 })
    .lean()
    .cursor();
  for await (const user of users) {
    const days = retentionDays(user.settings?.chatRecordTimeOut);
    if (days === undefined) continue;
    const model = context.shards.user(userShard(user.userId, context.shards.count));
    const expired = { ownerId: user.userId, serverTime: { $lt: now - days * DAY_MS } };
    await raiseFloors(context, model, expired, user.userId);
    result.mediaGrants += await releaseGrants(context, model, expired);
    const deleted = await model.deleteMany(expired);
    result.users++;
    result.userCopies += deleted.deletedCount;
    await context.checkpoint?.(RETENTION_JOB, `user:${user.userId}`);
  }
  const groupDays = await platformRetentionDays(context);
  if (groupDays !== undefined) {
    for (let shard = 0; shard < context.shards.count; shard++) {
      const expired = { ownerId: 0, serverTime: { $lt: now - groupDays * DAY_MS } };
      await raiseFloors(context, context.shards.group(shard), expired);
      result.mediaGrants += await releaseGrants(context, context.shards.group(shard), expired);
      const deleted = await context.shards.group(shard).deleteMany(expired);
      result.groupMessages += deleted.deletedCount;
      await context.checkpoint?.(RETENTION_JOB, `group:${shard}`);
    }
  }
  context.logger.info({ ...result, groupDays: groupDays ?? -1 }, "message retention");
  return result;
}

export const retentionJob = (periodSeconds: number): JobSpec => ({
  name: RETENTION_JOB,
  periodSeconds,
  run: async (context) => {
    await deleteExpiredMessages(context);
  },
});
