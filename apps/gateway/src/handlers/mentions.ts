import { RoomRole } from "@im/data";
import { AppError, chatTypes, messageType, type SendMessage } from "@im/protocol";
import type { Target } from "../targets/target.js";

/**
 * The @mention rules of a send (issue 12 §2: a mention passes a room's do-not-disturb), checked before it is
 * stored or relayed. A message without mentions (no atUserIds or an empty list, atAll absent or false)
 * passes. Otherwise:
 * - only a room (chatType 2) text message (type 1) may mention: else MENTION_NOT_ALLOWED (400);
 * - every user in atUserIds must be a member of the room now: else MENTION_NOT_MEMBER (400);
 * - atAll (@everyone) only by the room's owner or an admin: else MENTION_ALL_NOT_ALLOWED (403).
 * The room's members come from the send's target (targets/group.ts), so no extra read is made.
 */
export function checkMentions(message: SendMessage, target: Target): void {
  const atUserIds = message.atUserIds ?? [];
  if (atUserIds.length === 0 && !message.atAll) return;
  if (message.chatType !== chatTypes.group || message.type !== messageType.text || !target.room) {
    throw new AppError("MENTION_NOT_ALLOWED");
  }
  const { members, senderRole } = target.room;
  if (atUserIds.some((userId) => !members.has(userId))) throw new AppError("MENTION_NOT_MEMBER");
  if (message.atAll && senderRole !== RoomRole.owner && senderRole !== RoomRole.admin) throw new AppError("MENTION_ALL_NOT_ALLOWED");
}
