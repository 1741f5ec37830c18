import {
  currentSeqs,
  ensureSeq,
  locate,
  type MessageDoc,
  type MessageStore,
  readCounts,
  toDelivered,
  type UserConversationDoc,
} from "@im/messaging";
import { AppError, chatTypes } from "@im/protocol";
import type { PageQuery } from "../../http/common-schemas.js";

type Conversation = Pick<UserConversationDoc, "userId" | "conversationId" | "chatType" | "peer" | "clearedSeq" | "endSeq">;

async function membership(store: MessageStore, userId: number, conversationId: string): Promise<Conversation> {
  const conversation = await store.conversations.findOne({ userId, conversationId }).lean();
  if (!conversation) throw new AppError("CONVERSATION_NOT_FOUND");
  return conversation;
}

/** The conversation's latest seq: the Redis counter, rebuilt from what is stored when Redis lost it. */
async function latestSeq(store: MessageStore, conversation: Conversation, known?: number): Promise<number> {
  if (known && known > 0) return known;
  const current = (await currentSeqs(store.redis, [conversation.conversationId])).get(conversation.conversationId) ?? 0;
  if (current > 0) return current;
  const { model, ownerId } = locate(store, conversation.userId, conversation);
  return ensureSeq(store.redis, conversation.conversationId, async () => {
    const top = await model.findOne({ ownerId, conversationId: conversation.conversationId }, { seq: 1 }).sort({ seq: -1 }).lean();
    return top?.seq ?? 0;
  });
}

/** My conversations (user_conversations), newest first, with each one's latest seq. */
export async function listConversations(store: MessageStore, userId: number, page: PageQuery) {
  const rows = await store.conversations
    .find({ userId })
    .sort({ createTime: -1, conversationId: 1 })
    .skip(page.page * page.pageSize)
    .limit(page.pageSize + 1)
    .lean();
  const shown = rows.slice(0, page.pageSize);
  const seqs = await currentSeqs(
    store.redis,
    shown.map((c) => c.conversationId),
  );
  const items = [];
  for (const row of shown) {
    items.push({
      conversationId: row.conversationId,
      chatType: row.chatType,
      peer: row.peer,
      maxSeq: row.endSeq
        ? Math.min(row.endSeq, await latestSeq(store, row, seqs.get(row.conversationId)))
        : await latestSeq(store, row, seqs.get(row.conversationId)),
      clearedSeq: row.clearedSeq ?? 0,
      createTime: row.createTime,
    });
  }
  return { items, page: page.page, pageSize: page.pageSize, hasMore: rows.length > page.pageSize };
}

export interface HistoryQuery {
  afterSeq?: number | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

/**
 * A page of a conversation's messages for one of its members: after `afterSeq` (oldest first), or before
 * `beforeSeq` / the latest (returned oldest first too). Never shows what the user cleared (clearedSeq) or
 * what came after they left a room (endSeq);
 * recalled messages come with empty content; group messages carry their read count.
 */
export async function history(store: MessageStore, userId: number, conversationId: string, query: HistoryQuery) {
  const conversation = await membership(store, userId, conversationId);
  const { model, ownerId } = locate(store, userId, conversation);
  const floor = conversation.clearedSeq ?? 0;
  // A room the user left ends at the 904/903 that removed them.
  const ceiling = conversation.endSeq ? { $lte: conversation.endSeq } : {};
  const base = { ownerId, conversationId };
  let docs: MessageDoc[];
  let hasMore: boolean;
  if (query.afterSeq !== undefined) {
    const found = await model
      .find({ ...base, seq: { $gt: Math.max(query.afterSeq, floor), ...ceiling } })
      .sort({ seq: 1 })
      .limit(query.limit + 1)
      .lean<MessageDoc[]>();
    hasMore = found.length > query.limit;
    docs = found.slice(0, query.limit);
  } else {
    const range = query.beforeSeq !== undefined ? { $gt: floor, $lt: query.beforeSeq, ...ceiling } : { $gt: floor, ...ceiling };
    const found = await model
      .find({ ...base, seq: range })
      .sort({ seq: -1 })
      .limit(query.limit + 1)
      .lean<MessageDoc[]>();
    hasMore = found.length > query.limit;
    docs = found.slice(0, query.limit).reverse();
  }
  const messages = docs.map(toDelivered);
  if (conversation.chatType !== chatTypes.group) return { conversationId, messages, hasMore };
  const counts = await readCounts(
    store,
    conversationId,
    messages.map((m) => m.messageId),
  );
  return { conversationId, messages: messages.map((m) => ({ ...m, readCount: counts.get(m.messageId) ?? 0 })), hasMore };
}

/**
 * Deletes my copy of a conversation (seed: chat records "delete"): in a single chat my stored copies are
 * removed; in both kinds clearedSeq moves to the latest seq, so sync and history start after it. The other
 * party's copies and later messages are untouched.
 */
export async function clearConversation(store: MessageStore, userId: number, conversationId: string): Promise<void> {
  const conversation = await membership(store, userId, conversationId);
  const seq = await latestSeq(store, conversation);
  if (conversation.chatType === chatTypes.single) {
    const { model, ownerId } = locate(store, userId, conversation);
    await model.deleteMany({ ownerId, conversationId, seq: { $lte: seq } });
  }
  await store.conversations.updateOne({ userId, conversationId, clearedSeq: { $lt: seq } }, { $set: { clearedSeq: seq } });
}
