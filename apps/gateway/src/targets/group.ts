import { RoomRole, RoomStatus } from "@im/data";
import { storeGroup } from "@im/messaging";
import { AppError, chatTypes, groupConversationId, type SendMessage } from "@im/protocol";
import type { GatewayDeps, ImSocket } from "../context.js";
import type { Target } from "./target.js";

/**
 * A room: it must exist, the sender must be a member and not muted (room-wide mute spares the owner and
 * admins). Recipients are read from shiku_room_member on every send, so joins, leaves and kicks take
 * effect at once on every gateway.
 */
export async function groupTarget(deps: GatewayDeps, socket: ImSocket, message: SendMessage): Promise<Target> {
  const from = socket.data.userId;
  const roomId = message.to;
  const [room, member] = await Promise.all([
    deps.models.rooms.findOne({ roomId }, { status: 1, talkTime: 1 }).lean(),
    deps.models.roomMembers.findOne({ roomId, userId: from }, { role: 1, talkTime: 1 }).lean(),
  ]);
  if (!room || room.status !== RoomStatus.normal) throw new AppError("ROOM_NOT_FOUND");
  if (!member) throw new AppError("NOT_ROOM_MEMBER");
  const now = Date.now();
  if ((room.talkTime > now && member.role === RoomRole.member) || member.talkTime > now) throw new AppError("ROOM_MUTED");
  const members = await deps.models.roomMembers.find({ roomId }, { _id: 0, userId: 1 }).lean();
  return {
    chatType: chatTypes.group,
    conversationId: groupConversationId(roomId),
    recipients: members.map((m) => m.userId),
    store: (m) => storeGroup(deps.store, { userId: from, resource: socket.data.resource }, m, roomId),
  };
}
