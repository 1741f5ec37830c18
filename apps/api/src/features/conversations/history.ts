import {
  conversationViews,
  locate,
  type MessageDoc,
  type MessageStore,
  readCounts,
  toDelivered,
  type UserConversationDoc,
  untilFreshGap,
} from "@im/messaging";
import { AppError, chatTypes } from "@im/protocol";
import type { PageQuery } from "../../http/common-schemas.js";

type Conversation = Pick<UserConversationDoc, "userId" | "conversationId" | "chatType" | "peer" | "clearedSeq" | "endSeq">;

async function membership(store: MessageStore, userId: number, conversationId: string): Promise<Conversation> {
  const conversation = await store.conversations.findOne({ userId, conversationId }).lean();
  if (!conversation) throw new AppError("CONVERSATION_NOT_FOUND");
  return conversation;
}

/** What the user may see of one conversation (libs/messaging view.ts: floor and ceiling). */
async function viewOf(store: MessageStore, conversation: Conversation) {
  const view = (await conversationViews(store, [conversation])).get(conversation.conversationId);
  if (!view) throw new Error(`no view of ${conversation.conversationId}`);
  return view;
}

/** My conversations (user_conversations), newest first, with each one's latest seq I may read. */
export async function listConversations(store: MessageStore, userId: number, page: PageQuery) {
  const rows = await store.conversations
    .find({ userId })
    .sort({ createTime: -1, conversationId: 1 })
    .skip(page.page * page.pageSize)
    .limit(page.pageSize + 1)
    .lean();
  const shown = rows.slice(0, page.pageSize);
  const views = await conversationViews(store, shown);
  const items = shown.map((row) => ({
    conversationId: row.conversationId,
    chatType: row.chatType,
    peer: row.peer,
    maxSeq: views.get(row.conversationId)?.ceiling ?? 0,
    clearedSeq: row.clearedSeq ?? 0,
    createTime: row.createTime,
  }));
  return { items, page: page.page, pageSize: page.pageSize, hasMore: rows.length > page.pageSize };
}

export interface HistoryQuery {
  afterSeq?: number | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

/**
 * A page of a conversation's messages for one of its members: after `afterSeq` (oldest first), or before
 * `beforeSeq` / the latest (returned oldest first too). Shows only what the user may see (view.ts: not
 * what they cleared or retention deleted, nothing after they left a room, nothing past the committed
 * point); tombstones are skipped; recalled messages come with empty content; group messages carry their
 * read count.
 */
export async function history(store: MessageStore, userId: number, conversationId: string, query: HistoryQuery) {
  const conversation = await membership(store, userId, conversationId);
  const { model, ownerId } = locate(store, userId, conversation);
  const view = await viewOf(store, conversation);
  const floor = view.floor;
  const ceiling = { $lte: view.ceiling };
  const base = { ownerId, conversationId, tombstone: { $ne: true } };
  let docs: MessageDoc[];
  let hasMore: boolean;
  if (query.afterSeq !== undefined) {
    // Tombstones are read here (they close gaps for untilFreshGap) and dropped below.
    const from = Math.max(query.afterSeq, floor);
    const found = await model
      .find({ ownerId, conversationId, seq: { $gt: from, ...ceiling } })
      .sort({ seq: 1 })
      .limit(query.limit + 1)
      .lean<MessageDoc[]>();
    const served = untilFreshGap(store, found.slice(0, query.limit), from);
    hasMore = !served.stopped && found.length > query.limit;
    docs = served.docs.filter((doc) => !doc.tombstone);
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
  const messages = docs.map((doc) => toDelivered(doc, store.mediaLinks));
  if (conversation.chatType !== chatTypes.group) return { conversationId, messages, hasMore };
  const counts = await readCounts(
    store,
    conversationId,
    messages.map((m) => m.messageId),
  );
  return { conversationId, messages: messages.map((m) => ({ ...m, readCount: counts.get(m.messageId) ?? 0 })), hasMore };
}

/**
 * Deletes my copy of a conversation (seed: chat records "delete"): clearedSeq moves to the latest visible
 * seq, so sync and history start after it; in a single chat my stored copies up to it are erased in place
 * (tombstones: their seqs stay taken, so the unique seq index keeps guarding them). The other party's
 * copies and later messages are untouched.
 */
export async function clearConversation(store: MessageStore, userId: number, conversationId: string): Promise<void> {
  const conversation = await membership(store, userId, conversationId);
  const seq = (await viewOf(store, conversation)).ceiling;
  await store.conversations.updateOne({ userId, conversationId, clearedSeq: { $lt: seq } }, { $set: { clearedSeq: seq } });
  if (conversation.chatType === chatTypes.single) {
    const { model, ownerId } = locate(store, userId, conversation);
    const erased = await model.updateMany(
      { ownerId, conversationId, seq: { $lte: seq }, tombstone: { $ne: true } },
      { $set: { tombstone: true, content: "" } },
    );
    if (!erased.acknowledged) throw new Error(`clearing ${conversationId} not acknowledged`);
  }
}
