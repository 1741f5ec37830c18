import { type MessageDoc, type MessageModel, messageDocId } from "./message-model.js";
import { roomShard, userShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";
import { SYSTEM_NOTIFIER_ID } from "./system-account.js";

/** One place a conversation's messages are stored: a shard collection and the owner of the copies in it. */
export interface CopyLocation {
  model: MessageModel;
  /** The user whose copies these are (single chat), or 0 for a room's shared log. */
  ownerId: number;
}

/** The parties of a single chat from its conversation id (`s_<low>_<high>`), or undefined for other ids. */
export function singleParties(conversationId: string): [number, number] | undefined {
  const match = /^s_(\d+)_(\d+)$/.exec(conversationId);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/** The roomId of a group conversation id (`g_<roomId>`), or undefined for other ids. */
export function groupRoomId(conversationId: string): string | undefined {
  return conversationId.startsWith("g_") && conversationId.length > 2 ? conversationId.slice(2) : undefined;
}

/**
 * Every stored copy of a conversation: both users' copies in their user shards (single chat), or the
 * room's one log in its group shard (ownerId 0). Works from the conversation id alone, so the same
 * recall / read / burn code serves single chats and rooms.
 */
export function copiesOf(store: MessageStore, conversationId: string): CopyLocation[] {
  const parties = singleParties(conversationId);
  if (parties) {
    // The system account keeps no copies (system-message.ts): its notices live in the recipient's shard only.
    const owners = [...new Set(parties)].filter((id) => id !== SYSTEM_NOTIFIER_ID);
    return owners.map((ownerId) => ({ model: store.shards.user(userShard(ownerId, store.shards.count)), ownerId }));
  }
  const roomId = groupRoomId(conversationId);
  if (roomId) return [{ model: store.shards.group(roomShard(roomId, store.shards.count)), ownerId: 0 }];
  throw new Error(`not a conversation id: ${conversationId}`);
}

/**
 * One owner's copy of a message, by its deterministic `_id` (a primary-key lookup everywhere). Right after
 * an insert failed on a duplicate key, a copy not found by `_id` is looked up by the unique index's fields
 * too: it was written with another `_id` (by a version that gave copies ObjectIds).
 */
export async function findCopy(
  model: MessageModel,
  ownerId: number,
  conversationId: string,
  messageId: string,
  options: { afterDuplicateKey?: boolean } = {},
): Promise<MessageDoc | null> {
  const found = await model.findOne({ _id: messageDocId(ownerId, conversationId, messageId) }).lean<MessageDoc>();
  if (found || !options.afterDuplicateKey) return found;
  return model.findOne({ ownerId, conversationId, messageId }).lean<MessageDoc>();
}

/**
 * A message of the conversation, from whichever copy still holds it (a user may have deleted theirs).
 * A tombstone (a burnt message) is no message: null.
 */
export async function findStoredMessage(store: MessageStore, conversationId: string, messageId: string): Promise<MessageDoc | null> {
  for (const { model, ownerId } of copiesOf(store, conversationId)) {
    const found = await findCopy(model, ownerId, conversationId, messageId);
    if (found && !found.tombstone) return found;
  }
  return null;
}

/**
 * Burns a message after reading: every stored copy becomes a tombstone in place (same `_id` and seq,
 * content erased, `tombstone: true`), so no seq turns into a hole and a resend of it is still known.
 * Returns how many copies were burnt. Throws when MongoDB does not acknowledge a write.
 */
export async function burnStoredMessage(store: MessageStore, conversationId: string, messageId: string): Promise<number> {
  let burnt = 0;
  for (const { model, ownerId } of copiesOf(store, conversationId)) {
    const result = await model.updateOne(
      { _id: messageDocId(ownerId, conversationId, messageId) },
      { $set: { tombstone: true, content: "", recalled: false } },
    );
    if (!result.acknowledged) throw new Error(`burn of ${messageId} not acknowledged`);
    burnt += result.matchedCount;
  }
  return burnt;
}
