import { chatTypes, singleConversationId } from "@im/protocol";
import { rememberConversation } from "./conversations.js";
import { buildMessageDoc, type StorableMessage } from "./convert.js";
import { userShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";
import { type Location, type Sender, type StoredResult, storedResult, storeMessage } from "./store-message.js";

export type { Sender, StoredResult } from "./store-message.js";

export interface StoreSingleOptions {
  /**
   * Keep a copy for the sender too (default). System accounts sending notices to every user keep none:
   * their copies would pile every notice of the platform into one shard and one conversation list.
   */
  senderCopy?: boolean;
}

/**
 * Stores a single-chat message durably: a copy in the recipient's user shard (the commit point, whose seq
 * is the truth) and one in the sender's, then records the conversation for both. Idempotent by messageId:
 * a resend of the same message, even concurrent with the original, gets the stored message back with
 * `duplicate: true` and no second copy; another message under a used id is refused (MESSAGE_ID_REUSED).
 * Seq rules: store-message.ts. Throws (retryable) when any write is not positively stored.
 */
export async function storeSingle(
  store: MessageStore,
  sender: Sender,
  message: StorableMessage,
  toUserId: number,
  options: StoreSingleOptions = {},
): Promise<StoredResult> {
  const senderCopy = (options.senderCopy ?? true) && toUserId !== sender.userId;
  const conversationId = singleConversationId(sender.userId, toUserId);
  const location = (ownerId: number): Location => ({ model: store.shards.user(userShard(ownerId, store.shards.count)), ownerId });
  const recipient = location(toUserId);
  const mine = senderCopy ? location(sender.userId) : undefined;
  const to = String(toUserId);
  const stored = await storeMessage(store, {
    conversationId,
    sender,
    message,
    to,
    locations: mine ? [recipient, mine] : [recipient],
    // A primary-key lookup (deterministic _id), so a resend costs no sequence number.
    checkFirst: (options.senderCopy ?? true) ? location(sender.userId) : undefined,
    build: (ownerId, seq, now) => buildMessageDoc(message, sender, { ownerId, conversationId, seq, chatType: chatTypes.single, to, now }),
  });
  // Also on a resend: an earlier attempt may have stored the copies and failed before this.
  await Promise.all([
    rememberConversation(store, toUserId, { conversationId, chatType: chatTypes.single, peer: String(sender.userId) }),
    (options.senderCopy ?? true)
      ? rememberConversation(store, sender.userId, { conversationId, chatType: chatTypes.single, peer: String(toUserId) })
      : undefined,
  ]);
  return storedResult(stored, store.mediaLinks);
}
