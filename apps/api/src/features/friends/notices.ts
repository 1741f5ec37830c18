import type { Models } from "@im/data";
import { sendSystemMessage } from "@im/messaging";
import type { FriendNoticeType } from "@im/protocol";
import type { Types } from "mongoose";
import type { ApiDeps } from "../../context.js";

export interface Notice {
  type: FriendNoticeType;
  content: string;
}

/** Writes a NewFriends record for each side: the actor's (direction 0) and the other user's (direction 1). */
export async function writeNotices(models: Models, actor: number, other: number, notices: Notice[]): Promise<WrittenNotice[]> {
  if (notices.length === 0) return [];
  const now = Date.now();
  const docs = notices.flatMap(({ type, content }) => [
    { userId: actor, toUserId: other, type, content, direction: 0, delivered: false, createTime: now, modifyTime: now },
    { userId: other, toUserId: actor, type, content, direction: 1, delivered: false, createTime: now, modifyTime: now },
  ]);
  const written = await models.newFriends.insertMany(docs);
  return written.map((doc, i) => ({ _id: doc._id as Types.ObjectId, ...(docs[i] as Omit<WrittenNotice, "_id">) }));
}

export interface WrittenNotice {
  _id: Types.ObjectId;
  userId: number;
  toUserId: number;
  type: FriendNoticeType;
  content: string;
  direction: number;
}

/**
 * Hands each written notice to its user as a system message from 10005 of the notice's type (stored, so
 * offline devices get it by sync; pushed to online ones), then marks the records delivered. Content is JSON
 * {fromUserId, toUserId, direction, content}: who acted, on whom, and which side this copy is for. The
 * NewFriends id is the messageId, so delivering again (a retry) stores nothing twice. A failure is logged
 * and leaves the records undelivered: the relationship change itself stands.
 */
export async function deliverNotices(deps: ApiDeps, notices: WrittenNotice[]): Promise<void> {
  const delivered: Types.ObjectId[] = [];
  const byUser = new Map<number, WrittenNotice[]>();
  for (const notice of notices) byUser.set(notice.userId, [...(byUser.get(notice.userId) ?? []), notice]);
  // Each user's notices in order (their seqs follow the changes); the two users' at the same time.
  await Promise.all([...byUser.values()].map((mine) => deliverInOrder(deps, mine, delivered)));
  if (delivered.length > 0) {
    await deps.models.newFriends.updateMany({ _id: { $in: delivered } }, { $set: { delivered: true, modifyTime: Date.now() } });
  }
}

async function deliverInOrder(deps: ApiDeps, notices: WrittenNotice[], delivered: Types.ObjectId[]): Promise<void> {
  for (const notice of notices) {
    const [fromUserId, toUserId] = notice.direction === 0 ? [notice.userId, notice.toUserId] : [notice.toUserId, notice.userId];
    try {
      await sendSystemMessage(deps.messages, deps.publisher, {
        messageId: notice._id.toHexString(),
        toUserId: notice.userId,
        type: notice.type,
        content: { fromUserId, toUserId, direction: notice.direction, content: notice.content },
      });
      delivered.push(notice._id);
    } catch (error) {
      deps.logger.warn({ err: error, noticeId: notice._id.toHexString() }, "friend notice not delivered");
    }
  }
}
