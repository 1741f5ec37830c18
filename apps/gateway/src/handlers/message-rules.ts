import {
  applyReadReceipt,
  assertSameMessage,
  checkReadReceipt,
  checkRecall,
  findStoredMessage,
  markRecalled,
  readReceiptMessageId,
  type StorableMessage,
  type StoredResult,
} from "@im/messaging";
import { AppError, messageType, type SendMessage } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "../targets/target.js";
import { checkMedia, grantMedia } from "./media.js";
import { checkClientOrigin } from "./origin.js";

/** Work that follows storing a message: marking a recalled message, recording a read, burning after reading. */
export type AfterStore = (stored: StoredResult) => Promise<void>;

/**
 * The message as it is to be stored (a read receipt gets its derived messageId, a media message the upload
 * it carries) and what follows storing it.
 */
export interface CheckedMessage {
  message: StorableMessage;
  afterStore: AfterStore;
}

const nothing: AfterStore = async () => {};

function requireObjectId(message: SendMessage): string {
  if (message.objectId) return message.objectId;
  throw new AppError("VALIDATION_FAILED", { issues: [{ field: "objectId", message: "names the message this one refers to" }] });
}

/**
 * This control message was stored before (a resend): its checks passed then, its effects are re-applied.
 * Only when it is the SAME message (sender, type, target, objectId, content): a messageId reused for
 * another message is refused with MESSAGE_ID_REUSED before anything is checked or applied.
 */
async function storedBefore(deps: GatewayDeps, socket: ImSocket, message: SendMessage, target: Target): Promise<boolean> {
  const existing = await findStoredMessage(deps.store, target.conversationId, message.messageId);
  if (!existing) return false;
  assertSameMessage(existing, { userId: socket.data.userId, resource: socket.data.resource }, message, target.to);
  return true;
}

/**
 * The per-type rules of a stored message, checked before it is stored, for any target (single or group):
 * - text (1): refused with KEYWORD_REJECTED when the keyword filter is on and it contains a banned word;
 * - recall (202): only the sender, within GATEWAY_RECALL_WINDOW_SECONDS, of a message of this
 *   conversation; once the 202 is stored every copy of the target is marked recalled;
 * - read receipt (26): of someone else's message of this conversation; once stored the reader is recorded
 *   and a burn-after-read (isReadDel) single-chat message is deleted from both users' stores;
 * - media (2, 3, 5, 6, 7, 9): the upload is checked (handlers/media.ts checkMedia), recorded on the message,
 *   and granted to the conversation (media_grants) before the message is stored; other types carry none.
 * A read receipt is stored under readReceiptMessageId(reader, conversation, message read): one per member
 * and message, whatever messageId the client chose (a repeat is answered with the first, delivered once).
 * Returns the message to store and what to do after it is stored (also run for a resend: every effect is
 * idempotent, and a resend reaches it only if it is the same message).
 */
export async function checkMessageRules(deps: GatewayDeps, socket: ImSocket, sent: SendMessage, target: Target): Promise<CheckedMessage> {
  checkClientOrigin(sent); // server-only types (origin "server" in the registry): MESSAGE_TYPE_NOT_ALLOWED
  const message =
    sent.type === messageType.readReceipt && sent.objectId
      ? { ...sent, messageId: readReceiptMessageId(socket.data.userId, target.conversationId, sent.objectId) }
      : sent;
  const userId = socket.data.userId;
  const conversationId = target.conversationId;
  const media = await checkMedia(deps, socket, message, target);
  if (media) {
    await grantMedia(deps, socket, conversationId, message.messageId, media);
    return { message: { ...message, media }, afterStore: nothing };
  }
  switch (message.type) {
    case messageType.text:
      if (deps.keywords.match(message.content) !== undefined) throw new AppError("KEYWORD_REJECTED");
      return { message, afterStore: nothing };
    case messageType.recall: {
      const objectId = requireObjectId(message);
      if (!(await storedBefore(deps, socket, message, target))) {
        await checkRecall(deps.store, {
          conversationId,
          messageId: objectId,
          byUserId: userId,
          windowMs: deps.config.GATEWAY_RECALL_WINDOW_SECONDS * 1000,
        });
      }
      return { message, afterStore: () => markRecalled(deps.store, conversationId, objectId) };
    }
    case messageType.readReceipt: {
      const objectId = requireObjectId(message);
      const original = (await storedBefore(deps, socket, message, target))
        ? await findStoredMessage(deps.store, conversationId, objectId)
        : await checkReadReceipt(deps.store, { conversationId, messageId: objectId, readerId: userId });
      if (!original) return { message, afterStore: nothing }; // a resend after the message was burnt: nothing left to do
      return {
        message,
        afterStore: async () => {
          await applyReadReceipt(deps.store, original, userId);
        },
      };
    }
    default:
      return { message, afterStore: nothing };
  }
}
