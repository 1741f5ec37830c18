import { chatTypes, DEFAULT_SYNC_LIMIT, MAX_SYNC_LIMIT, type SyncCursors, type SyncedConversation } from "@im/protocol";
import type { UserConversationDoc } from "./conversation-model.js";
import { toDelivered } from "./convert.js";
import type { MessageDoc } from "./message-model.js";
import { roomShard, userShard } from "./shards.js";
import type { MessageStore } from "./store-context.js";
import { conversationViews } from "./view.js";

export { DEFAULT_SYNC_LIMIT, MAX_SYNC_LIMIT } from "@im/protocol";

/** Beyond the lease, how long a gap before a freshly stored message is still presumed in flight (clock skew). */
const GAP_MARGIN_MS = 5_000;

/**
 * The backstop for Redis having lost its in-flight records: the stored documents after `from`, in seq
 * order, up to the first gap that comes right before a message stored within the lease (+ margin) — such a
 * gap may still be being written. Older gaps are permanent. `stopped` tells whether it cut.
 */
export function untilFreshGap<T extends { seq: number; serverTime: number }>(
  store: Pick<MessageStore, "seqLeaseMs">,
  docs: T[],
  from: number,
  now = Date.now(),
): { docs: T[]; stopped: boolean } {
  const recent = now - store.seqLeaseMs - GAP_MARGIN_MS;
  let covered = from;
  for (const [i, doc] of docs.entries()) {
    if (doc.seq > covered + 1 && doc.serverTime > recent) return { docs: docs.slice(0, i), stopped: true };
    covered = doc.seq;
  }
  return { docs, stopped: false };
}

/** Where a conversation's messages live for this user: their own copies, or the room's shared log. */
export function locate(store: MessageStore, userId: number, conversation: Pick<UserConversationDoc, "chatType" | "peer">) {
  if (conversation.chatType === chatTypes.group) {
    return { model: store.shards.group(roomShard(conversation.peer, store.shards.count)), ownerId: 0 };
  }
  return { model: store.shards.user(userShard(userId, store.shards.count)), ownerId: userId };
}

/**
 * Everything a device is missing, conversation by conversation: for each conversation of the user with
 * something past the device's cursor, the next `limit` stored seqs in order (tombstones are not sent but
 * counted), never past the conversation's visible ceiling (view.ts: the committed point, endSeq).
 * `nextCursor` is where the device may move its cursor: it passes tombstones and permanent gaps, and
 * stops before a gap that may still be in flight — below a seq in the in-flight set, or (if Redis lost
 * that set) before a gap followed by a message stored within the lease (+ margin); `inFlight` then tells
 * the device to sync again shortly. Reads only indexes: (userId) on user_conversations and
 * (ownerId, conversationId, seq) on the shards.
 */
export async function syncConversations(
  store: MessageStore,
  userId: number,
  cursors: SyncCursors,
  limit = DEFAULT_SYNC_LIMIT,
): Promise<SyncedConversation[]> {
  const take = Math.min(Math.max(1, limit), MAX_SYNC_LIMIT);
  const conversations = await store.conversations.find({ userId }).lean();
  const views = await conversationViews(store, conversations, cursors);
  const result: SyncedConversation[] = [];
  for (const conversation of conversations) {
    const view = views.get(conversation.conversationId);
    if (!view) continue;
    const cursor = cursors[conversation.conversationId] ?? 0;
    const from = Math.max(cursor, view.floor);
    let docs: MessageDoc[] = [];
    if (view.ceiling > from) {
      const { model, ownerId } = locate(store, userId, conversation);
      docs = await model
        .find({ ownerId, conversationId: conversation.conversationId, seq: { $gt: from, $lte: view.ceiling } })
        .sort({ seq: 1 })
        .limit(take + 1)
        .lean<MessageDoc[]>();
    }
    const served = untilFreshGap(store, docs.slice(0, take), from);
    const stopped = served.stopped;
    const covered = served.docs.at(-1)?.seq ?? from;
    const messages = served.docs.filter((doc) => !doc.tombstone).map((doc) => toDelivered(doc, store.mediaLinks));
    const hasMore = !stopped && docs.length > take;
    const inFlight = stopped || (!hasMore && view.heldByInFlight && view.latest > covered);
    if (messages.length === 0 && covered <= cursor && !inFlight) continue;
    result.push({
      conversationId: conversation.conversationId,
      messages,
      hasMore,
      maxSeq: view.latest,
      nextCursor: Math.max(covered, cursor),
      ...(inFlight ? { inFlight: true } : {}),
    });
  }
  return result;
}
