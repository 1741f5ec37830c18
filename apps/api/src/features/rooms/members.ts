import { type RoomMemberDoc, RoomRole, roomVersionKey, withVersionBump } from "@im/data";
import { roomEventTypes } from "@im/messaging";
import { AppError } from "@im/protocol";
import type { z } from "zod";
import type { ApiDeps } from "../../context.js";
import { loadRoom, requireAbove, requireMember, requireOwner, requireTargetMember, withRoomLock } from "./access.js";
import { announce, memberIds } from "./events.js";
import { requireFriends } from "./friends-only.js";
import { addMembers, removeMember } from "./membership.js";
import type { memberPut } from "./schemas.js";

/**
 * Invites friends into a room: any member may, except in rooms that need approval, where only the owner
 * and admins may. Users already members are left out; the rest get a 907.
 */
export async function invite(deps: ApiDeps, me: number, roomId: string, userIds: number[]): Promise<number[]> {
  return withRoomLock(deps, roomId, async () => {
    const room = await loadRoom(deps, roomId);
    const actor = await requireMember(deps, roomId, me);
    if (room.isNeedVerify === 1 && actor.role === RoomRole.member) throw new AppError("ROOM_PERMISSION_DENIED");
    await requireFriends(deps, me, userIds, "body.userIds");
    return addMembers(
      deps,
      room,
      userIds.filter((id) => id !== me).map((userId) => ({ userId })),
      me,
    );
  });
}

/**
 * Removes a member (seed /room/member/delete): myself = leaving (the owner cannot leave: delete the room
 * instead), someone else = a kick by the owner or an admin (admins kick plain members only). Every member
 * and the removed user get a 904; nothing of the room reaches the removed user afterwards.
 */
export async function removeFromRoom(deps: ApiDeps, me: number, roomId: string, userId: number): Promise<void> {
  await withRoomLock(deps, roomId, async () => {
    await loadRoom(deps, roomId);
    const actor = await requireMember(deps, roomId, me);
    if (userId === me) {
      if (actor.role === RoomRole.owner) throw new AppError("CANNOT_REMOVE_OWNER");
    } else {
      const target = await requireTargetMember(deps, roomId, userId);
      if (target.role === RoomRole.owner) throw new AppError("CANNOT_REMOVE_OWNER");
      requireAbove(actor, target);
    }
    await removeMember(deps, roomId, userId, me);
  });
}

/**
 * Changes one member: role (owner only, 913), mute until (owner on anyone, admins on plain members, 906),
 * my own nickname in the room (901), or my own do-not-disturb (offlineNoPushMsg: read by the push app, no
 * notice). Returns the member as stored afterwards.
 */
export async function updateMember(
  deps: ApiDeps,
  me: number,
  roomId: string,
  userId: number,
  patch: z.output<typeof memberPut>,
): Promise<RoomMemberDoc> {
  return withRoomLock(deps, roomId, async () => {
    await loadRoom(deps, roomId);
    const actor = await requireMember(deps, roomId, me);
    const target = userId === me ? actor : await requireTargetMember(deps, roomId, userId);
    if (patch.role !== undefined) {
      requireOwner(actor);
      if (target.role === RoomRole.owner) throw new AppError("ROOM_PERMISSION_DENIED");
    }
    if (patch.talkTime !== undefined) requireAbove(actor, target);
    if (patch.nickname !== undefined && userId !== me) throw new AppError("ROOM_PERMISSION_DENIED");
    if (patch.offlineNoPushMsg !== undefined && userId !== me) throw new AppError("ROOM_PERMISSION_DENIED");

    const now = Date.now();
    const set: Partial<RoomMemberDoc> = { modifyTime: now };
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.talkTime !== undefined) set.talkTime = patch.talkTime;
    if (patch.nickname !== undefined) set.nickname = patch.nickname;
    if (patch.offlineNoPushMsg !== undefined) set.offlineNoPushMsg = patch.offlineNoPushMsg;
    const write = () => deps.models.roomMembers.updateOne({ roomId, userId }, { $set: set });
    // Role and mute are in the gateways' cached room (cache-versions.ts); a nickname is not.
    if (patch.role !== undefined || patch.talkTime !== undefined) await withVersionBump(deps.redis, [roomVersionKey(roomId)], write);
    else await write();

    const everyone = await memberIds(deps, roomId);
    if (patch.role !== undefined && patch.role !== target.role) {
      await announce(deps, roomId, roomEventTypes.admin, { userIds: [userId], operator: me, role: patch.role }, everyone);
    }
    if (patch.talkTime !== undefined && patch.talkTime !== target.talkTime) {
      await announce(deps, roomId, roomEventTypes.mute, { userIds: [userId], operator: me, talkTime: patch.talkTime }, everyone);
    }
    if (patch.nickname !== undefined && patch.nickname !== target.nickname) {
      await announce(deps, roomId, roomEventTypes.nickname, { userIds: [userId], operator: me, nickname: patch.nickname }, everyone);
    }
    const updated = await deps.models.roomMembers.findOne({ roomId, userId }).lean();
    if (!updated) throw new AppError("NOT_ROOM_MEMBER");
    return updated;
  });
}
