import { applyReadReceipt, checkReadReceipt, checkRecall, findStoredMessage, markRecalled, type StoredResult } from "@im/messaging";
import { AppError, messageType, messageTypes, type SendMessage } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "../targets/target.js";
import { checkClientOrigin } from "./origin.js";

/** Work that follows storing a message: marking a recalled message, recording a read, burning after reading. */
export type AfterStore = (stored: StoredResult) => Promise<void>;

const nothing: AfterStore = async () => {};

function requireObjectId(message: SendMessage): string {
  if (message.objectId) return message.objectId;
  throw new AppError("VALIDATION_FAILED", { issues: [{ field: "objectId", message: "names the message this one refers to" }] });
}

/** This control message was stored before (a resend): its checks passed then, its effects are re-applied. */
async function storedBefore(deps: GatewayDeps, socket: ImSocket, message: SendMessage, target: Target): Promise<boolean> {
  const existing = await findStoredMessage(deps.store, target.conversationId, message.messageId);
  return existing !== null && existing.fromUserId === socket.data.userId;
}

/**
 * The per-type rules of a stored message, checked before it is stored, for any target (single or group):
 * - text (1): refused with KEYWORD_REJECTED when the keyword filter is on and it contains a banned word;
 * - recall (202): only the sender, within GATEWAY_RECALL_WINDOW_SECONDS, of a message of this
 *   conversation; once the 202 is stored every copy of the target is marked recalled;
 * - read receipt (26): of someone else's message of this conversation; once stored the reader is recorded
 *   and a burn-after-read (isReadDel) single-chat message is deleted from both users' stores.
 * Returns what to do after the message is stored (also run for a resend: every effect is idempotent).
 */
export async function checkMessageRules(deps: GatewayDeps, socket: ImSocket, message: SendMessage, target: Target): Promise<AfterStore> {
  checkClientOrigin(message); // server-only types (origin "server" in the registry): MESSAGE_TYPE_NOT_ALLOWED
  const userId = socket.data.userId;
  const conversationId = target.conversationId;
  const { category } = messageTypes[message.type as keyof typeof messageTypes];
  if (category === "friend" || category === "room") {
    // Friend notices (500–509) and room events (9xx) speak for the platform (sender 10005): never a client.
    throw new AppError("VALIDATION_FAILED", { issues: [{ field: "type", message: "this type is sent by the server only" }] });
  }
  switch (message.type) {
    case messageType.text:
      if (deps.keywords.match(message.content) !== undefined) throw new AppError("KEYWORD_REJECTED");
      return nothing;
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
      return () => markRecalled(deps.store, conversationId, objectId);
    }
    case messageType.readReceipt: {
      const objectId = requireObjectId(message);
      const original = (await storedBefore(deps, socket, message, target))
        ? await findStoredMessage(deps.store, conversationId, objectId)
        : await checkReadReceipt(deps.store, { conversationId, messageId: objectId, readerId: userId });
      if (!original) return nothing; // a resend after the message was burnt: nothing left to do
      return async () => {
        await applyReadReceipt(deps.store, original, userId);
      };
    }
    default:
      return nothing;
  }
}
