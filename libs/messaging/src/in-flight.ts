import { copiesOf } from "./copies.js";
import { type MessageDoc, messageDocId, tombstoneDocId } from "./message-model.js";
import { inFlightKey } from "./sequences.js";
import type { MessageStore } from "./store-context.js";

const lockKey = (conversationId: string, seq: number) => `im:resolve:${conversationId}:${seq}`;
const LOCK_MS = 5_000;

/** A tombstone for `seq` in one owner's location. */
function tombstone(ownerId: number, conversationId: string, seq: number, now: number): MessageDoc {
  return {
    _id: tombstoneDocId(ownerId, conversationId, seq),
    ownerId,
    conversationId,
    seq,
    messageId: `#${seq}`,
    chatType: conversationId.startsWith("g_") ? 2 : 1,
    fromUserId: 0,
    fromResource: "",
    to: "",
    type: 0,
    content: "",
    isEncrypt: false,
    isReadDel: false,
    timeSend: now,
    serverTime: now,
    recalled: false,
    tombstone: true,
  };
}

/**
 * Settles one seq of a conversation whose writer missed its lease (died, or is stuck): afterwards every
 * location of the conversation holds either the real message at that seq or a tombstone, never a hole,
 * and never a tombstone beside a real copy. The unique seq index decides every race with a late writer:
 * - a room: insert a tombstone; a duplicate means the real message landed — kept;
 * - a single chat: if one party's location holds a real copy, copy it into the other's (replacing a
 *   tombstone there); if none does, insert tombstones in both; a tombstone insert that hits a duplicate
 *   means the real copy landed late there, so the loop copies it across on its next pass.
 * Runs under a short Redis lock per (conversation, seq); then takes the seq out of the in-flight set.
 * Returns false when another process holds the lock (the seq still counts as in flight).
 */
export async function resolveSeq(store: MessageStore, conversationId: string, seq: number): Promise<boolean> {
  const key = lockKey(conversationId, seq);
  const token = `${process.pid}:${Math.random()}`;
  if ((await store.redis.set(key, token, "PX", LOCK_MS, "NX")) !== "OK") return false;
  try {
    const locations = copiesOf(store, conversationId);
    for (let pass = 0; pass < 4; pass++) {
      const found = await Promise.all(
        locations.map(({ model, ownerId }) => model.findOne({ ownerId, conversationId, seq }).lean<MessageDoc>()),
      );
      const real = found.find((doc) => doc && !doc.tombstone);
      let settled = true;
      for (const [i, { model, ownerId }] of locations.entries()) {
        const here = found[i];
        if (real) {
          if (here && !here.tombstone) continue;
          // Only the other party has it: copy it here (replacing this party's tombstone).
          if (here) {
            const removed = await model.deleteOne({ _id: here._id });
            if (!removed.acknowledged) throw new Error("tombstone removal not acknowledged");
          }
          const copy = { ...real, _id: messageDocId(ownerId, conversationId, real.messageId), ownerId };
          if ((await store.insert(model, copy)) === "duplicate") settled = false;
        } else if (!here) {
          if ((await store.insert(model, tombstone(ownerId, conversationId, seq, Date.now()))) === "duplicate") settled = false;
        }
      }
      if (settled) break;
      if (pass === 3) throw new Error(`seq ${seq} of ${conversationId} could not be resolved`);
    }
    await store.redis.zrem(inFlightKey(conversationId), String(seq));
    return true;
  } finally {
    // Released only if still ours (it expires by itself otherwise).
    await store.redis.eval(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`, 1, key, token);
  }
}

/**
 * A writer gives up its own seq at once after a definite failure (nothing of its message will be stored
 * under it), so readers are not held for the whole lease. Best effort: if it fails, the lease passes and a
 * reader resolves the seq.
 */
export async function abandonSeq(store: MessageStore, conversationId: string, seq: number): Promise<void> {
  await resolveSeq(store, conversationId, seq).catch(() => false);
}
