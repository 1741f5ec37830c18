import { createHash } from "node:crypto";
import { AppError, chatTypes } from "@im/protocol";
import { burnStoredMessage, findStoredMessage } from "./copies.js";
import type { MessageDoc } from "./message-model.js";
import type { MessageStore } from "./store-context.js";

/** Readers of a message are remembered this long (then the count of a very old message reads 0). */
export const READ_TTL_SECONDS = 30 * 24 * 3600;

/** The Redis set of userIds who read a message. */
export const readKey = (conversationId: string, messageId: string) => `im:read:${conversationId}:${messageId}`;

/**
 * Checks a read receipt (type 26): the message read (its objectId) must be stored in the conversation
 * (MESSAGE_NOT_FOUND) and be someone else's — in a single chat that makes the reader its recipient.
 */
export async function checkReadReceipt(
  store: MessageStore,
  check: { conversationId: string; messageId: string; readerId: number },
): Promise<MessageDoc> {
  const original = await findStoredMessage(store, check.conversationId, check.messageId);
  if (!original) throw new AppError("MESSAGE_NOT_FOUND");
  if (original.fromUserId === check.readerId) {
    throw new AppError("VALIDATION_FAILED", {
      issues: [{ field: "objectId", message: "a read receipt is for a message someone else sent" }],
    });
  }
  return original;
}

/** Records that `readerId` read the message (SADD, the set expires READ_TTL_SECONDS after the last read). */
export async function recordRead(store: MessageStore, conversationId: string, messageId: string, readerId: number): Promise<void> {
  const key = readKey(conversationId, messageId);
  const results = await store.redis.multi().sadd(key, String(readerId)).expire(key, READ_TTL_SECONDS).exec();
  if (!results) throw new Error("read receipt: Redis discarded the transaction");
  for (const [error] of results) if (error) throw error;
}

/** How many users read the message (the group "read count"; 0 or 1 in a single chat). */
export async function readCount(store: MessageStore, conversationId: string, messageId: string): Promise<number> {
  return store.redis.scard(readKey(conversationId, messageId));
}

/** Read counts of several messages of one conversation, in one round trip. */
export async function readCounts(store: MessageStore, conversationId: string, messageIds: string[]): Promise<Map<string, number>> {
  if (messageIds.length === 0) return new Map();
  const pipeline = store.redis.pipeline();
  for (const id of messageIds) pipeline.scard(readKey(conversationId, id));
  const results = (await pipeline.exec()) ?? [];
  return new Map(messageIds.map((id, i) => [id, Number(results[i]?.[1] ?? 0)]));
}

/**
 * What a stored read receipt does: records the reader and, for a burn-after-read (isReadDel) single-chat
 * message read by its recipient, turns every stored copy of it into a tombstone (both users'; no seq becomes
 * a hole). Returns whether it burned. Idempotent: a resent receipt records the same reader and burns nothing
 * new.
 */
export async function applyReadReceipt(store: MessageStore, original: MessageDoc, readerId: number): Promise<{ burned: boolean }> {
  await recordRead(store, original.conversationId, original.messageId, readerId);
  if (!original.isReadDel || original.chatType !== chatTypes.single || original.fromUserId === readerId) return { burned: false };
  await burnStoredMessage(store, original.conversationId, original.messageId);
  return { burned: true };
}

/**
 * The messageId a read receipt (type 26) is stored under: derived from the reader and the message read,
 * so the same member's receipts for the same message are one message (stored and delivered once, every
 * later one answered with the first) whatever messageIds the client used. A UUID-shaped hex string.
 */
export function readReceiptMessageId(readerId: number, conversationId: string, messageId: string): string {
  const hex = createHash("sha256").update(`read:${readerId}:${conversationId}:${messageId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
