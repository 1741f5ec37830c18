import { chatTypes, groupConversationId } from "@im/protocol";
import { buildMessageDoc, type StorableMessage } from "./convert.js";
import type { MessageModel } from "./message-model.js";
import { highestStoredSeq } from "./sequences.js";
import { roomShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";
import { type Sender, type StoredResult, storedResult, storeMessage } from "./store-message.js";

/** Group messages are stored once, in the room's shard, owned by nobody (ownerId 0). */
const GROUP_OWNER = 0;

/** The group shard holding a room's messages. */
export const groupModelOf = (store: MessageStore, roomId: string): MessageModel =>
  store.shards.group(roomShard(roomId, store.shards.count));

/** The highest seq stored for a room (0 when none). */
export async function highestGroupSeq(store: MessageStore, roomId: string): Promise<number> {
  return highestStoredSeq(store, groupConversationId(roomId));
}

/**
 * Stores a group message durably: ONE document in the room's group shard (ownerId 0), with the next seq
 * of the room's conversation. Idempotent by messageId: a resend of the same message, even concurrent with
 * the original, gets the stored message back with `duplicate: true`; another message under a used id is
 * refused (MESSAGE_ID_REUSED). Seq rules: store-message.ts. Authorisation (membership, mute) is the
 * caller's job.
 */
export async function storeGroup(store: MessageStore, sender: Sender, message: StorableMessage, roomId: string): Promise<StoredResult> {
  const conversationId = groupConversationId(roomId);
  const room = { model: groupModelOf(store, roomId), ownerId: GROUP_OWNER };
  const stored = await storeMessage(store, {
    conversationId,
    sender,
    message,
    to: roomId,
    locations: [room],
    checkFirst: room,
    build: (ownerId, seq, now) =>
      buildMessageDoc(message, sender, { ownerId, conversationId, seq, chatType: chatTypes.group, to: roomId, now }),
  });
  return storedResult(stored, store.mediaLinks);
}
