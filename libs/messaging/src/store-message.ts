import { AppError, type DeliveredMessage, messageType, type SendMessage } from "@im/protocol";
import { type MediaLinks, type StorableMessage, toDelivered } from "./convert.js";
import { findCopy } from "./copies.js";
import { abandonSeq } from "./in-flight.js";
import { InsertOutcomeUnknownError } from "./insert-batcher.js";
import { contentHashOf, type MessageDoc, type MessageModel, messageDocId } from "./message-model.js";
import { allocateSeq, repairSeq } from "./sequences.js";
import type { MessageStore } from "./store-context.js";

export interface Sender {
  userId: number;
  resource: string;
}

export interface StoredResult {
  message: DeliveredMessage;
  /** The messageId had been stored before: acknowledge again. */
  duplicate: boolean;
  /** The message was burnt after reading (a resend of it): acknowledge, deliver nothing. */
  burnt?: boolean;
}

/** One place a message is stored: a shard and the owner of the copy there. */
export interface Location {
  model: MessageModel;
  ownerId: number;
}

/** Most seqs one send takes when the counter turns out to be behind what is stored. */
const SEQ_ATTEMPTS = 3;
/** Re-reads after a duplicate key that names no copy (the conflicting write was being replaced). */
const EXPLAIN_ATTEMPTS = 4;

/**
 * Refuses a resend that is not the same message: another sender, type, target (chatType + to), objectId,
 * upload (uploadId of a media message), burn-after-reading flag or content — compared by the copy's contentHash, so also after a recall, burn or
 * clear erased the content (copies from before contentHash existed: not compared once erased); read
 * receipts' content is not compared (their id is derived from the reader and the message read).
 * MESSAGE_ID_REUSED (409).
 */
export function assertSameMessage(
  stored: MessageDoc,
  sender: Sender,
  message: SendMessage & Pick<StorableMessage, "media">,
  to: string,
): void {
  const same =
    stored.fromUserId === sender.userId &&
    stored.type === message.type &&
    stored.chatType === message.chatType &&
    stored.to === to &&
    (stored.objectId ?? "") === (message.objectId ?? "") &&
    (stored.media?.uploadId ?? "") === (message.uploadId ?? message.media?.uploadId ?? "") &&
    stored.isReadDel === message.isReadDel &&
    (message.type === messageType.readReceipt ||
      (stored.contentHash !== undefined
        ? stored.contentHash === contentHashOf(message.content)
        : stored.recalled || stored.tombstone === true || stored.content === message.content));
  if (!same) throw new AppError("MESSAGE_ID_REUSED");
}

type Insertion = { inserted: true } | { inserted: false; existing: MessageDoc } | { inserted: false; seqTaken: MessageDoc };

/**
 * Inserts one copy and, on a duplicate key, says which unique key it hit: the same messageId already
 * stored here (`existing`), or the seq taken by another document (`seqTaken`). When the re-read finds
 * neither (the conflicting document was deleted or is being replaced meanwhile), the insert is tried again;
 * if that keeps happening the send fails with the retryable BUSY_RETRY — never "duplicate but no copy".
 */
async function insertExplained(store: MessageStore, at: Location, doc: MessageDoc): Promise<Insertion> {
  for (let attempt = 0; attempt < EXPLAIN_ATTEMPTS; attempt++) {
    if ((await store.insert(at.model, doc)) === "inserted") return { inserted: true };
    const existing = await findCopy(at.model, at.ownerId, doc.conversationId, doc.messageId, { afterDuplicateKey: true });
    // Our own document (a retried insert whose first try did land): it is inserted, not a duplicate.
    if (existing && existing._id === doc._id && existing.seq === doc.seq && existing.serverTime === doc.serverTime)
      return { inserted: true };
    if (existing) return { inserted: false, existing };
    const atSeq = await at.model.findOne({ ownerId: at.ownerId, conversationId: doc.conversationId, seq: doc.seq }).lean<MessageDoc>();
    if (atSeq) return { inserted: false, seqTaken: atSeq };
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
  }
  throw new AppError("BUSY_RETRY", { retryAfterSeconds: 1 });
}

/** What storeMessage needs to know of one send. */
export interface StoreRequest {
  conversationId: string;
  sender: Sender;
  message: StorableMessage;
  /** The recipient userId or the roomId, as stored. */
  to: string;
  /** Where copies go, the commit point first (the recipient's copy, or the room's log). */
  locations: Location[];
  /** Where an earlier store of this messageId is looked up first (a primary-key read), if anywhere. */
  checkFirst?: Location;
  /** The stored document for `seq` in one location. */
  build(ownerId: number, seq: number, now: number): MessageDoc;
}

/**
 * Stores a message in every location with one seq, then settles that seq (no longer in flight). The
 * rules:
 * - a resend of a stored messageId is answered with the stored message (`duplicate`) if it is the same
 *   message (assertSameMessage), refused with MESSAGE_ID_REUSED otherwise;
 * - a seq already taken in the commit location (the Redis counter is behind what is stored: Redis lost
 *   its last writes, or a reader tombstoned our seq after its lease) raises the counter to the highest
 *   stored seq and tries again with a fresh seq, at most SEQ_ATTEMPTS times, then BUSY_RETRY;
 * - a seq this send took but will not use (a concurrent resend won) is tombstoned at once;
 * - any write whose outcome is unknown throws (retryable); the seq stays in flight until its lease passes
 *   and a reader resolves it (in-flight.ts).
 */
export async function storeMessage(store: MessageStore, request: StoreRequest): Promise<{ doc: MessageDoc; duplicate: boolean }> {
  const { conversationId, sender, message, to, locations } = request;
  const [commit, ...others] = locations;
  if (!commit) throw new Error(`no location for ${conversationId}`);
  if (request.checkFirst) {
    const already = await findCopy(request.checkFirst.model, request.checkFirst.ownerId, conversationId, message.messageId);
    if (already) {
      assertSameMessage(already, sender, message, to);
      // Found where the last copy is written, so every copy is stored: make sure its seq is no longer held
      // in flight (the first attempt may have stored it and then failed to settle it).
      if (!already.tombstone) await store.settleSeq(conversationId, already.seq);
      return { doc: already, duplicate: true };
    }
  }
  for (let attempt = 0; attempt < SEQ_ATTEMPTS; attempt++) {
    const seq = await allocateSeq(store, conversationId);
    let stored: { doc: MessageDoc; duplicate: boolean } | "seq-taken";
    try {
      stored = await storeAt(store, request, commit, others, seq);
    } catch (error) {
      // This writer is done with its seq: settle it now (the copy that landed, or a tombstone) rather than
      // hold every reader for the lease. Best effort: if the store is unreachable the lease does it later.
      await abandonSeq(store, conversationId, seq);
      // Not knowing whether a copy was stored is always retryable: the resend settles it (idempotent).
      if (error instanceof InsertOutcomeUnknownError) throw new AppError("BUSY_RETRY", { retryAfterSeconds: 1, cause: error });
      throw error;
    }
    if (stored !== "seq-taken") return stored;
  }
  throw new AppError("BUSY_RETRY", { retryAfterSeconds: 1 });
}

/** One attempt of storeMessage with an allocated seq; "seq-taken" when the counter was behind. */
async function storeAt(
  store: MessageStore,
  request: StoreRequest,
  commit: Location,
  others: Location[],
  seq: number,
): Promise<{ doc: MessageDoc; duplicate: boolean } | "seq-taken"> {
  const { conversationId, sender, message, to } = request;
  const first = request.build(commit.ownerId, seq, Date.now());
  const outcome = await insertExplained(store, commit, first);
  if ("seqTaken" in outcome) {
    // Not ours to hold: the seq is stored (a real message or a tombstone). Repair the counter, go again.
    await store.settleSeq(conversationId, seq);
    await repairSeq(store, conversationId);
    return "seq-taken";
  }
  const duplicate = !outcome.inserted;
  const committed = outcome.inserted ? first : outcome.existing;
  if (!outcome.inserted) {
    assertSameMessage(outcome.existing, sender, message, to);
    // A concurrent send of this messageId won with its own seq: ours is unused, tombstone it now.
    await abandonSeq(store, conversationId, seq);
  }
  for (const at of others) {
    // The other copies repeat the committed one (same seq even when a concurrent resend won the race).
    const copy: MessageDoc = { ...committed, _id: messageDocId(at.ownerId, conversationId, message.messageId), ownerId: at.ownerId };
    const placed = await insertExplained(store, at, copy);
    // Only a resolver replacing its tombstone by our copy right now, or inconsistent old data: retry later.
    if ("seqTaken" in placed) throw new AppError("BUSY_RETRY", { retryAfterSeconds: 1 });
  }
  // Every copy is stored: the committed seq is settled (ours, or — for a resend — the first attempt's, which
  // may have been left in flight when that attempt failed after storing).
  await store.settleSeq(conversationId, committed.seq);
  return { doc: committed, duplicate };
}

/** The result a caller answers with (media URLs from `links`). */
export function storedResult(stored: { doc: MessageDoc; duplicate: boolean }, links: MediaLinks): StoredResult {
  return {
    message: toDelivered(stored.doc, links),
    duplicate: stored.duplicate,
    ...(stored.doc.tombstone ? { burnt: true } : {}),
  };
}
