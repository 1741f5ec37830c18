import { chatTypes, type DeliveredMessage, type SendMessage, singleConversationId } from "@im/protocol";
import { rememberConversation } from "./conversations.js";
import { buildMessageDoc, toDelivered } from "./convert.js";
import { findCopy } from "./copies.js";
import { type MessageDoc, type MessageModel, messageDocId } from "./message-model.js";
import { nextSeq } from "./sequences.js";
import { userShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";

export interface Sender {
  userId: number;
  resource: string;
}

export interface StoreSingleOptions {
  /**
   * Keep a copy for the sender too (default). System accounts sending notices to every user keep none:
   * their copies would pile every notice of the platform into one shard and one conversation list.
   */
  senderCopy?: boolean;
}

export interface StoredResult {
  message: DeliveredMessage;
  /** The messageId had been stored before: acknowledge again, deliver nothing. */
  duplicate: boolean;
}

async function highestSeq(model: MessageModel, ownerId: number, conversationId: string): Promise<number> {
  const top = await model.findOne({ ownerId, conversationId }, { seq: 1 }).sort({ seq: -1 }).lean();
  return top?.seq ?? 0;
}

/** Inserts one copy; on a duplicate key returns the copy already stored instead. */
export async function insertCopy(
  store: MessageStore,
  model: MessageModel,
  doc: MessageDoc,
): Promise<{ doc: MessageDoc; inserted: boolean }> {
  if ((await store.insert(model, doc)) === "inserted") return { doc, inserted: true };
  const existing = await findCopy(model, doc.ownerId, doc.conversationId, doc.messageId, { afterDuplicateKey: true });
  if (!existing) throw new Error(`duplicate key for ${doc.messageId} but no stored copy`);
  return { doc: existing, inserted: false };
}

/**
 * Stores a single-chat message durably: a copy in the recipient's user shard (the commit point, whose seq
 * is the truth) and one in the sender's. Idempotent by messageId: a resend, even concurrent with the
 * original, gets the stored message back with `duplicate: true` and no second copy.
 */
export async function storeSingle(
  store: MessageStore,
  sender: Sender,
  message: SendMessage,
  toUserId: number,
  options: StoreSingleOptions = {},
): Promise<StoredResult> {
  const senderCopy = options.senderCopy ?? true;
  const conversationId = singleConversationId(sender.userId, toUserId);
  const senderModel = store.shards.user(userShard(sender.userId, store.shards.count));
  const recipientModel = store.shards.user(userShard(toUserId, store.shards.count));
  // A primary-key lookup (deterministic _id), so a resend costs no sequence number.
  const already = senderCopy ? await findCopy(senderModel, sender.userId, conversationId, message.messageId) : null;
  if (already) return { message: toDelivered(already), duplicate: true };

  const seq = await nextSeq(store.redis, conversationId, async () =>
    Math.max(await highestSeq(recipientModel, toUserId, conversationId), await highestSeq(senderModel, sender.userId, conversationId)),
  );
  const now = Date.now();
  const base = buildMessageDoc(message, sender, {
    ownerId: toUserId,
    conversationId,
    seq,
    chatType: chatTypes.single,
    to: String(toUserId),
    now,
  });
  const committed = await insertCopy(store, recipientModel, base);
  if (senderCopy && toUserId !== sender.userId) {
    // The sender's copy repeats the committed one (same seq even when a concurrent resend won the race).
    const ownerId = sender.userId;
    await insertCopy(store, senderModel, { ...committed.doc, _id: messageDocId(ownerId, conversationId, message.messageId), ownerId });
  }
  await Promise.all([
    rememberConversation(store, toUserId, { conversationId, chatType: chatTypes.single, peer: String(sender.userId) }),
    senderCopy
      ? rememberConversation(store, sender.userId, { conversationId, chatType: chatTypes.single, peer: String(toUserId) })
      : undefined,
  ]);
  return { message: toDelivered(committed.doc), duplicate: !committed.inserted };
}
