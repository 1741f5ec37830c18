import { RoomRole, RoomStatus } from "@im/data";
import { storeGroup } from "@im/messaging";
import { AppError, chatTypes, groupConversationId, type SendMessage } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "./target.js";

/**
 * A room: it must exist, the sender must be a member and not muted (room-wide mute spares the owner and
 * admins). The room and its members come from the room's cached entry (caches.ts), exact because every
 * change of the room or its members replaces the room's version: joins, leaves, kicks, mutes and deletion
 * take effect at once on every gateway.
 */
export async function groupTarget(deps: GatewayDeps, socket: ImSocket, message: SendMessage): Promise<Target> {
  const from = socket.data.userId;
  const roomId = message.to;
  const room = await deps.targets.rooms.get(roomId);
  if (!room || room.status !== RoomStatus.normal) throw new AppError("ROOM_NOT_FOUND");
  const member = room.members.get(from);
  if (!member) throw new AppError("NOT_ROOM_MEMBER");
  const now = Date.now();
  if ((room.talkTime > now && member.role === RoomRole.member) || member.talkTime > now) throw new AppError("ROOM_MUTED");
  return {
    chatType: chatTypes.group,
    conversationId: groupConversationId(roomId),
    to: roomId,
    recipients: [...room.members.keys()],
    room: { members: room.members, senderRole: member.role },
    store: (m) => storeGroup(deps.store, { userId: from, resource: socket.data.resource }, m, roomId),
  };
}
