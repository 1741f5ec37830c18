import { type RoomDoc, RoomRole, roomVersionKey, withVersionBump } from "@im/data";
import { isDuplicateKeyError } from "@im/infra";
import { currentRoomSeq, enterRoomConversation, leaveRoomConversation, roomEventTypes } from "@im/messaging";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { announce, memberIds } from "./events.js";

/**
 * Recounts the room's members into its userSize (never incremented: FerretDB updates are not atomic).
 * userSize is not part of what the gateways cache, so this write bumps no version.
 */
export async function recountRoom(deps: ApiDeps, roomId: string, modifier?: number): Promise<number> {
  const userSize = await deps.models.roomMembers.countDocuments({ roomId });
  await deps.models.rooms.updateOne(
    { roomId },
    { $set: { userSize, modifyTime: Date.now(), ...(modifier !== undefined ? { modifier } : {}) } },
  );
  return userSize;
}

/**
 * Adds users to a room. Call under the room's lock. Users already members are skipped; when the rest do
 * not fit under maxUserSize nobody is added (ROOM_FULL). Each new member gets the room's conversation from
 * the current seq on, then every member (the new ones included) gets one 907 naming them.
 */
export async function addMembers(
  deps: ApiDeps,
  room: Pick<RoomDoc, "roomId" | "maxUserSize">,
  users: Array<{ userId: number; role?: number }>,
  operator: number,
): Promise<number[]> {
  const { roomId } = room;
  const existing = new Set(await memberIds(deps, roomId));
  const fresh = users.filter((user) => !existing.has(user.userId));
  if (fresh.length === 0) return [];
  if (existing.size + fresh.length > room.maxUserSize) throw new AppError("ROOM_FULL");

  const joinSeq = await currentRoomSeq(deps.messages, roomId);
  const now = Date.now();
  const added: number[] = [];
  // The gateways' cached members of the room are replaced before anyone is told (cache-versions.ts).
  await withVersionBump(deps.redis, [roomVersionKey(roomId)], async () => {
    for (const user of fresh) {
      try {
        await deps.models.roomMembers.create({
          roomId,
          userId: user.userId,
          role: user.role ?? RoomRole.member,
          nickname: "",
          talkTime: 0,
          joinTime: now,
          joinSeq,
          modifyTime: now,
        });
        added.push(user.userId);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
  });
  for (const userId of added) await enterRoomConversation(deps.messages, userId, roomId, joinSeq);
  await deps.models.roomJoinRequests.deleteMany({ roomId, userId: { $in: added } });
  await recountRoom(deps, roomId, operator);
  if (added.length > 0) {
    await announce(deps, roomId, roomEventTypes.memberAdd, { userIds: added, operator }, [...existing, ...added]);
  }
  return added;
}

/**
 * Removes a member (leave or kick). Call under the room's lock. The membership goes first, with a new room
 * version (so the gateways stop sending them the room's messages), then every member, the removed one
 * included, gets the 904, and only then is the room's conversation dropped from the removed user's.
 */
export async function removeMember(deps: ApiDeps, roomId: string, userId: number, operator: number): Promise<void> {
  const everyone = await memberIds(deps, roomId);
  await withVersionBump(deps.redis, [roomVersionKey(roomId)], () => deps.models.roomMembers.deleteOne({ roomId, userId }));
  await recountRoom(deps, roomId, operator);
  const notice = await announce(deps, roomId, roomEventTypes.memberRemove, { userIds: [userId], operator }, everyone);
  await leaveRoomConversation(deps.messages, [userId], roomId, notice.seq);
}
