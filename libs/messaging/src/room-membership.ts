import { chatTypes, groupConversationId } from "@im/protocol";
import { forgetConversation, rememberConversation } from "./conversations.js";
import { currentSeqs, ensureSeq } from "./sequences.js";
import type { MessageStore } from "./store-context.js";

/** The room's latest seq (0 for a new room), rebuilding a lost Redis counter from the group shard. */
export async function currentRoomSeq(store: MessageStore, roomId: string): Promise<number> {
  const conversationId = groupConversationId(roomId);
  const known = (await currentSeqs(store.redis, [conversationId])).get(conversationId) ?? 0;
  if (known > 0) return known;
  return ensureSeq(store, conversationId);
}

/**
 * Makes the room's conversation one of the user's, starting after the room's current seq: a new member
 * syncs only what is sent from now on (their own 907 included), never the history before they joined.
 * Call it under the room's lock, after the membership document exists. `atSeq` is the room's seq read
 * before (defaults to now). Returns the join seq.
 */
export async function enterRoomConversation(store: MessageStore, userId: number, roomId: string, atSeq?: number): Promise<number> {
  const conversationId = groupConversationId(roomId);
  const joinSeq = atSeq ?? (await currentRoomSeq(store, roomId));
  // A stale "known" mark (a leave whose forget was lost) would skip the insert: clear it first.
  await forgetConversation(store, userId, conversationId);
  await rememberConversation(store, userId, { conversationId, chatType: chatTypes.group, peer: roomId });
  const result = await store.conversations.updateOne({ userId, conversationId }, { $set: { clearedSeq: joinSeq, endSeq: 0 } });
  if (!result.acknowledged || result.matchedCount !== 1) throw new Error(`room conversation of ${userId} not updated`);
  return joinSeq;
}

/**
 * Ends the room's conversation for these users at `endSeq` (the seq of the 904 or 903 that removed them):
 * they still sync everything up to and including it — so an offline member learns they were removed — and
 * nothing after it.
 */
export async function leaveRoomConversation(store: MessageStore, userIds: number[], roomId: string, endSeq: number): Promise<void> {
  if (userIds.length === 0) return;
  const conversationId = groupConversationId(roomId);
  const result = await store.conversations.updateMany({ userId: { $in: userIds }, conversationId }, { $set: { endSeq } });
  if (!result.acknowledged) throw new Error(`leaving ${conversationId} not acknowledged`);
}
