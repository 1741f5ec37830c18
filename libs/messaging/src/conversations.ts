import { isDuplicateKeyError } from "@im/infra";
import type { MessageStore } from "./store-context.js";

const knownKey = (userId: number) => `im:convs:${userId}`;

/**
 * Records that a user takes part in a conversation, once: a Redis set answers "already known" cheaply and
 * the unique insert in user_conversations is the durable record (also right when Redis lost its data).
 */
export async function rememberConversation(
  store: MessageStore,
  userId: number,
  conversation: { conversationId: string; chatType: number; peer: string },
): Promise<void> {
  if ((await store.redis.sismember(knownKey(userId), conversation.conversationId)) === 1) return;
  try {
    await store.conversations.create({ userId, ...conversation, clearedSeq: 0, createTime: Date.now() });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  await store.redis.sadd(knownKey(userId), conversation.conversationId);
}

/** Forgets the cached membership (on leaving a room), so the next message records it again. */
export async function forgetConversation(store: MessageStore, userId: number, conversationId: string): Promise<void> {
  await store.redis.srem(knownKey(userId), conversationId);
}
