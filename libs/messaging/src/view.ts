import type { UserConversationDoc } from "./conversation-model.js";
import { resolveSeq } from "./in-flight.js";
import { repairSeq, type SeqState, seqStates } from "./sequences.js";
import type { MessageStore } from "./store-context.js";

/** What one user may see of one conversation now: the seqs in (floor, ceiling]. */
export interface ConversationView {
  conversationId: string;
  /** Seqs up to here are hidden: cleared by the user, before they joined the room, or deleted by retention. */
  floor: number;
  /**
   * The highest seq the user may be served: the committed point (below the lowest seq still in flight, or
   * the counter when none is), and at most the end of a room the user left (endSeq).
   */
  ceiling: number;
  /** The latest seq handed out (capped by endSeq): what the conversation list shows as its latest. */
  latest: number;
  /** The ceiling is held down by a seq still being written (the client should look again shortly). */
  heldByInFlight: boolean;
}

type ViewInput = Pick<UserConversationDoc, "conversationId" | "clearedSeq" | "endSeq">;

/**
 * The committed point of one conversation from its Redis state, resolving in-flight seqs whose lease has
 * passed (their writer died or is stuck) on the way. A missing counter, or one behind what the device has
 * already seen, is repaired from what is stored.
 */
async function committedPoint(
  store: MessageStore,
  conversationId: string,
  state: SeqState,
  now: number,
  seen: number,
): Promise<{ committed: number; counter: number; held: boolean }> {
  let counter = state.counter;
  if (counter === 0 || counter < seen) counter = await repairSeq(store, conversationId);
  for (const entry of state.inFlight) {
    if (entry.deadline > now) return { committed: Math.min(counter, entry.seq - 1), counter, held: true };
    // Past its lease: settle it (tombstone or the copy that landed); if that fails, it still holds.
    const resolved = await resolveSeq(store, conversationId, entry.seq).catch(() => false);
    if (!resolved) return { committed: Math.min(counter, entry.seq - 1), counter, held: true };
  }
  return { committed: counter, counter, held: false };
}

/**
 * THE rule of what a user may see of their conversations, used by sync, REST history and the conversation
 * list: floor = clearedSeq (what the user cleared, the join point of a room, and what retention deleted);
 * ceiling = min(endSeq when the user left a room, the committed point). One Redis round trip for all the
 * conversations; MongoDB only to repair a lost counter or resolve an expired in-flight seq.
 * `seen` are the device's cursors, if any (a cursor above the counter shows the counter is behind).
 */
export async function conversationViews(
  store: MessageStore,
  conversations: ViewInput[],
  seen: Record<string, number> = {},
): Promise<Map<string, ConversationView>> {
  const { now, states } = await seqStates(
    store.redis,
    conversations.map((c) => c.conversationId),
  );
  const views = new Map<string, ConversationView>();
  for (const conversation of conversations) {
    const id = conversation.conversationId;
    const state = states.get(id) ?? { counter: 0, inFlight: [] };
    const point = await committedPoint(store, id, state, now, seen[id] ?? 0);
    const end = conversation.endSeq ? conversation.endSeq : Number.POSITIVE_INFINITY;
    views.set(id, {
      conversationId: id,
      floor: conversation.clearedSeq ?? 0,
      ceiling: Math.min(point.committed, end),
      latest: Math.min(point.counter, end),
      heldByInFlight: point.held && point.committed < end,
    });
  }
  return views;
}
