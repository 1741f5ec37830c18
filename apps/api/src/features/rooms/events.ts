import { type RoomEventContent, type RoomEventType, sendRoomEvent } from "@im/messaging";
import type { DeliveredMessage } from "@im/protocol";
import type { ApiDeps } from "../../context.js";

/** Every member's userId, read fresh (call under the room's lock for an exact list). */
export async function memberIds(deps: ApiDeps, roomId: string): Promise<number[]> {
  const rows = await deps.models.roomMembers.find({ roomId }, { _id: 0, userId: 1 }).lean();
  return rows.map((row) => row.userId);
}

/** Stores a room notice (from the system account) in the room's conversation and delivers it live (idempotent with `options.messageId`). */
export async function announce(
  deps: ApiDeps,
  roomId: string,
  type: RoomEventType,
  content: RoomEventContent,
  recipients: number[],
  options: { messageId?: string } = {},
): Promise<DeliveredMessage> {
  return sendRoomEvent(deps.messages, deps.publisher, roomId, type, content, recipients, options);
}
