import { storeSingle } from "@im/messaging";
import { AppError, chatTypes, type SendMessage, singleConversationId } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "./target.js";

/**
 * A single chat: the recipient must exist, be enabled, and not have blocked the sender. Both are read from
 * the recipient's cached entry (caches.ts), exact because every blacklist change replaces its version.
 */
export async function singleTarget(deps: GatewayDeps, socket: ImSocket, message: SendMessage): Promise<Target> {
  const from = socket.data.userId;
  const to = Number(message.to);
  if (!Number.isSafeInteger(to) || to < 1)
    throw new AppError("VALIDATION_FAILED", { issues: [{ field: "to", message: "must be a userId" }] });
  const recipient = await deps.targets.users.get(to);
  if (!recipient || recipient.status === -1) throw new AppError("USER_NOT_FOUND");
  if (to !== from && recipient.blocked.has(from)) throw new AppError("BLOCKED_BY_USER");
  return {
    chatType: chatTypes.single,
    conversationId: singleConversationId(from, to),
    to: String(to),
    recipients: [to],
    store: (m) => storeSingle(deps.store, { userId: from, resource: socket.data.resource }, m, to),
  };
}
