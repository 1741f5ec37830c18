import { AppError, messageTypes } from "@im/protocol";
import { copiesOf, findStoredMessage } from "./copies.js";
import { type MessageDoc, messageDocId } from "./message-model.js";
import type { MessageStore } from "./store-context.js";

export interface RecallCheck {
  conversationId: string;
  /** The message to recall (the 202 message's objectId). */
  messageId: string;
  /** Who asks: only the original sender may recall. */
  byUserId: number;
  /** How long after the server stored it a message may be recalled. */
  windowMs: number;
  now?: number;
}

/**
 * Decides whether a recall (type 202) is allowed: the target must be stored in this conversation
 * (MESSAGE_NOT_FOUND), sent by the caller and be an ordinary message (RECALL_NOT_ALLOWED), and be younger
 * than the window (RECALL_WINDOW_PASSED). A message already recalled may be recalled again by its sender
 * at any time, so a resent 202 is acknowledged like the first.
 */
export async function checkRecall(store: MessageStore, check: RecallCheck): Promise<MessageDoc> {
  const target = await findStoredMessage(store, check.conversationId, check.messageId);
  if (!target) throw new AppError("MESSAGE_NOT_FOUND");
  if (target.fromUserId !== check.byUserId) throw new AppError("RECALL_NOT_ALLOWED");
  const definition = messageTypes[target.type as keyof typeof messageTypes];
  if (definition?.category === "control") throw new AppError("RECALL_NOT_ALLOWED");
  if (target.recalled) return target;
  if ((check.now ?? Date.now()) - target.serverTime > check.windowMs) throw new AppError("RECALL_WINDOW_PASSED");
  return target;
}

/**
 * Marks every stored copy of a message recalled (both users' copies in a single chat, the room's log in a
 * group) and erases its content: sync and history show it as `recalled: true` with empty content from now
 * on. Idempotent; each copy has one writer at a time in practice (its sender's recall).
 */
export async function markRecalled(store: MessageStore, conversationId: string, messageId: string): Promise<void> {
  for (const { model, ownerId } of copiesOf(store, conversationId)) {
    const result = await model.updateOne(
      { _id: messageDocId(ownerId, conversationId, messageId), tombstone: { $ne: true } },
      { $set: { recalled: true, content: "" } },
    );
    // A copy may be gone (cleared by its owner); a write not acknowledged is a failure.
    if (!result.acknowledged) throw new Error(`recall of ${messageId} not acknowledged`);
  }
}
