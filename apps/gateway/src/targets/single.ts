import { storeSingle } from "@im/messaging";
import { AppError, chatTypes, type SendMessage, singleConversationId } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "./target.js";

/** A single chat: the recipient must exist, be enabled, and not have blocked the sender. */
export async function singleTarget(deps: GatewayDeps, socket: ImSocket, message: SendMessage): Promise<Target> {
  const from = socket.data.userId;
  const to = Number(message.to);
  if (!Number.isSafeInteger(to) || to < 1)
    throw new AppError("VALIDATION_FAILED", { issues: [{ field: "to", message: "must be a userId" }] });
  const recipient = await deps.models.users.findOne({ userId: to }, { status: 1 }).lean();
  if (!recipient || recipient.status === -1) throw new AppError("USER_NOT_FOUND");
  if (to !== from && (await deps.models.friendships.exists({ userId: to, toUserId: from, blacklist: 1 }))) {
    throw new AppError("BLOCKED_BY_USER");
  }
  return {
    chatType: chatTypes.single,
    conversationId: singleConversationId(from, to),
    recipients: [to],
    store: (m) => storeSingle(deps.store, { userId: from, resource: socket.data.resource }, m, to),
  };
}
