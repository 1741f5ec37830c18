import { randomUUID } from "node:crypto";
import { chatTypes, type DeliveredMessage, type MessageTypeCode } from "@im/protocol";
import { type Broadcaster, userRoom, withTraceContext } from "./delivery.js";
import type { MessageStore } from "./store-context.js";
import { storeSingle } from "./store-single.js";

/** The account system notifications come from (seed: 10005 系统通知). */
export { SYSTEM_NOTIFIER_ID } from "./system-account.js";

import { SYSTEM_NOTIFIER_ID } from "./system-account.js";

export interface SystemMessage {
  toUserId: number;
  /** A message type of the registry, e.g. a friend notice 500–509. */
  type: MessageTypeCode;
  /** A JSON string (objects are serialised). */
  content: string | Record<string, unknown>;
  /** Makes the send idempotent (a retry stores nothing new); a random UUID when absent. */
  messageId?: string;
}

/**
 * Sends a system notification: stores it as a single-chat message from 10005 (resource "Server") in the
 * user's shard — so offline devices get it by sync — and pushes it to the user's online devices through
 * the Broadcaster (a gateway's io, or the API's publisher); offline devices are told by push when the type
 * notifies (store.push). The system account keeps no copy.
 */
export async function sendSystemMessage(store: MessageStore, broadcaster: Broadcaster, message: SystemMessage): Promise<DeliveredMessage> {
  const now = Date.now();
  const stored = await storeSingle(
    store,
    { userId: SYSTEM_NOTIFIER_ID, resource: "Server" },
    {
      messageId: message.messageId ?? randomUUID(),
      chatType: chatTypes.single,
      to: String(message.toUserId),
      type: message.type,
      content: typeof message.content === "string" ? message.content : JSON.stringify(message.content),
      isEncrypt: false,
      isReadDel: false,
      timeSend: now,
    },
    message.toUserId,
    { senderCopy: false },
  );
  broadcaster.to(userRoom(message.toUserId)).emit("message", withTraceContext(stored.message));
  if (!stored.burnt) store.push?.notify(stored.message, [message.toUserId]);
  return stored.message;
}
