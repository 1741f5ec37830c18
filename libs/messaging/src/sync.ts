import { chatTypes, type SyncCursors, type SyncedConversation } from "@im/protocol";
import type { UserConversationDoc } from "./conversation-model.js";
import { toDelivered } from "./convert.js";
import type { MessageModel } from "./message-model.js";
import { currentSeqs, ensureSeq } from "./sequences.js";
import { roomShard, userShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";

export const DEFAULT_SYNC_LIMIT = 100;
export const MAX_SYNC_LIMIT = 500;

/** Where a conversation's messages live for this user: their own copies, or the room's shared log. */
export function locate(store: MessageStore, userId: number, conversation: Pick<UserConversationDoc, "chatType" | "peer">) {
  if (conversation.chatType === chatTypes.group) {
    return { model: store.shards.group(roomShard(conversation.peer, store.shards.count)), ownerId: 0 };
  }
  return { model: store.shards.user(userShard(userId, store.shards.count)), ownerId: userId };
}

async function highestStored(model: MessageModel, ownerId: number, conversationId: string): Promise<number> {
  const top = await model.findOne({ ownerId, conversationId }, { seq: 1 }).sort({ seq: -1 }).lean();
  return top?.seq ?? 0;
}

/**
 * Everything a device is missing, conversation by conversation: for each conversation of the user whose
 * latest seq is past the device's cursor, the next `limit` messages in seq order and whether more follow.
 * Reads only indexes: (userId) on user_conversations and (ownerId, conversationId, seq) on the shards.
 */
export async function syncConversations(
  store: MessageStore,
  userId: number,
  cursors: SyncCursors,
  limit = DEFAULT_SYNC_LIMIT,
): Promise<SyncedConversation[]> {
  const take = Math.min(Math.max(1, limit), MAX_SYNC_LIMIT);
  const conversations = await store.conversations.find({ userId }).lean();
  const seqs = await currentSeqs(
    store.redis,
    conversations.map((c) => c.conversationId),
  );
  const result: SyncedConversation[] = [];
  for (const conversation of conversations) {
    const { model, ownerId } = locate(store, userId, conversation);
    let maxSeq = seqs.get(conversation.conversationId) ?? 0;
    if (maxSeq === 0) {
      // Redis lost the counter: rebuild it from what is stored.
      maxSeq = await ensureSeq(store.redis, conversation.conversationId, () => highestStored(model, ownerId, conversation.conversationId));
    }
    const from = Math.max(cursors[conversation.conversationId] ?? 0, conversation.clearedSeq ?? 0);
    // A room the user left ends at the 904/903 that removed them.
    if (conversation.endSeq) maxSeq = Math.min(maxSeq, conversation.endSeq);
    if (maxSeq <= from) continue;
    const seqRange = conversation.endSeq ? { $gt: from, $lte: conversation.endSeq } : { $gt: from };
    const docs = await model
      .find({ ownerId, conversationId: conversation.conversationId, seq: seqRange })
      .sort({ seq: 1 })
      .limit(take + 1)
      .lean();
    if (docs.length === 0) continue;
    result.push({
      conversationId: conversation.conversationId,
      messages: docs.slice(0, take).map(toDelivered),
      hasMore: docs.length > take,
      maxSeq,
    });
  }
  return result;
}
