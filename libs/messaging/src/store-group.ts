import { chatTypes, groupConversationId, type SendMessage } from "@im/protocol";
import { buildMessageDoc, toDelivered } from "./convert.js";
import { findCopy } from "./copies.js";
import type { MessageModel } from "./message-model.js";
import { nextSeq } from "./sequences.js";
import { roomShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";
import { insertCopy, type Sender, type StoredResult } from "./store-single.js";

/** Group messages are stored once, in the room's shard, owned by nobody (ownerId 0). */
const GROUP_OWNER = 0;

/** The group shard holding a room's messages. */
export const groupModelOf = (store: MessageStore, roomId: string): MessageModel =>
  store.shards.group(roomShard(roomId, store.shards.count));

/** The highest seq stored for a room (0 when none): what a lost Redis counter is rebuilt from. */
export async function highestGroupSeq(store: MessageStore, roomId: string): Promise<number> {
  const top = await groupModelOf(store, roomId)
    .findOne({ ownerId: GROUP_OWNER, conversationId: groupConversationId(roomId) }, { seq: 1 })
    .sort({ seq: -1 })
    .lean();
  return top?.seq ?? 0;
}

/**
 * Stores a group message durably: ONE document in the room's group shard (ownerId 0), with the next seq
 * of the room's conversation. Idempotent by messageId: a resend, even concurrent with the original, gets
 * the stored message back with `duplicate: true`. Authorisation (membership, mute) is the caller's job.
 */
export async function storeGroup(store: MessageStore, sender: Sender, message: SendMessage, roomId: string): Promise<StoredResult> {
  const conversationId = groupConversationId(roomId);
  const model = groupModelOf(store, roomId);
  const already = await findCopy(model, GROUP_OWNER, conversationId, message.messageId);
  if (already) return { message: toDelivered(already), duplicate: true };

  const seq = await nextSeq(store.redis, conversationId, () => highestGroupSeq(store, roomId));
  const now = Date.now();
  const doc = buildMessageDoc(message, sender, { ownerId: GROUP_OWNER, conversationId, seq, chatType: chatTypes.group, to: roomId, now });
  // On a duplicate key a concurrent resend won: answer with its copy (its seq is the truth; ours is a harmless gap).
  const { doc: stored, inserted } = await insertCopy(store, model, doc);
  return { message: toDelivered(stored), duplicate: !inserted };
}
