import { isDuplicateKeyError } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { findMember, loadRoom, requireManager, requireMember, withRoomLock } from "./access.js";
import { addMembers } from "./membership.js";

/**
 * Joins a room (seed /room/join): directly, or, when the room needs approval, as a pending request an
 * owner or admin approves. Already a member → ALREADY_ROOM_MEMBER; no room for one more → ROOM_FULL.
 */
export async function joinRoom(deps: ApiDeps, me: number, roomId: string, reason: string): Promise<"joined" | "pending"> {
  return withRoomLock(deps, roomId, async () => {
    const room = await loadRoom(deps, roomId);
    if (await findMember(deps, roomId, me)) throw new AppError("ALREADY_ROOM_MEMBER");
    if (room.isNeedVerify === 1) {
      try {
        await deps.models.roomJoinRequests.create({ roomId, userId: me, reason, createTime: Date.now() });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error; // asked before: still pending
      }
      return "pending";
    }
    await addMembers(deps, room, [{ userId: me }], me);
    return "joined";
  });
}

/** Approves a pending request (owner or admin): the user joins, every member gets a 907. */
export async function approveJoin(deps: ApiDeps, me: number, roomId: string, userId: number): Promise<void> {
  await withRoomLock(deps, roomId, async () => {
    const room = await loadRoom(deps, roomId);
    requireManager(await requireMember(deps, roomId, me));
    const request = await deps.models.roomJoinRequests.findOne({ roomId, userId }).lean();
    if (!request) throw new AppError("JOIN_REQUEST_NOT_FOUND");
    const user = await deps.models.users.findOne({ userId, status: { $ne: -1 } }, { _id: 0, userId: 1 }).lean();
    if (!user) {
      await deps.models.roomJoinRequests.deleteOne({ roomId, userId });
      throw new AppError("USER_NOT_FOUND");
    }
    await addMembers(deps, room, [{ userId }], me); // also removes the request
    await deps.models.roomJoinRequests.deleteOne({ roomId, userId });
  });
}

/** Rejects a pending request (owner or admin). */
export async function rejectJoin(deps: ApiDeps, me: number, roomId: string, userId: number): Promise<void> {
  await withRoomLock(deps, roomId, async () => {
    await loadRoom(deps, roomId);
    requireManager(await requireMember(deps, roomId, me));
    const removed = await deps.models.roomJoinRequests.deleteOne({ roomId, userId });
    if (removed.deletedCount === 0) throw new AppError("JOIN_REQUEST_NOT_FOUND");
  });
}
