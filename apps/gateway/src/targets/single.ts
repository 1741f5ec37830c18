import { UserStatus } from "@im/data";
import { SYSTEM_NOTIFIER_ID, storeSingle } from "@im/messaging";
import { AppError, chatTypes, parseOrThrow, type SendMessage, singleConversationId, userIdTextSchema } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "./target.js";

/**
 * A single chat: the recipient must exist, be enabled, and not have blocked the sender. Both are read from
 * the recipient's cached entry (caches.ts), exact because every blacklist change replaces its version.
 */
export async function singleTarget(deps: GatewayDeps, socket: ImSocket, message: SendMessage): Promise<Target> {
  const from = socket.data.userId;
  // Plain decimal only (issue 10 1j): "0x186bf", "1e5", "0100031" are not user ids.
  const to = parseOrThrow(userIdTextSchema, message.to, "to");
  // The system notifier (10005) only speaks; a message to it would land in the sender's notice conversation.
  if (to === SYSTEM_NOTIFIER_ID) throw new AppError("USER_NOT_FOUND");
  const recipient = await deps.targets.users.get(to);
  if (!recipient || recipient.status === UserStatus.disabled) throw new AppError("USER_NOT_FOUND");
  if (to !== from && recipient.blocked.has(from)) throw new AppError("BLOCKED_BY_USER");
  return {
    chatType: chatTypes.single,
    conversationId: singleConversationId(from, to),
    to: String(to),
    recipients: [to],
    store: (m) => storeSingle(deps.store, { userId: from, resource: socket.data.resource }, m, to),
  };
}
