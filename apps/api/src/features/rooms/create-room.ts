import { randomBytes } from "node:crypto";
import { type RoomDoc, RoomRole, RoomStatus, roomVersionKey, withVersionBump } from "@im/data";
import { leaveRoomConversation, roomEventTypes } from "@im/messaging";
import { AppError } from "@im/protocol";
import type { z } from "zod";
import type { ApiDeps } from "../../context.js";
import { loadRoom, requireMember, requireOwner, withRoomLock } from "./access.js";
import { announce, memberIds } from "./events.js";
import { requireFriends } from "./friends-only.js";
import { addMembers } from "./membership.js";
import type { createRoomBody } from "./schemas.js";

/**
 * A room's maxUserSize: the requested one capped by the platform's limit (API_ROOM_MAX_USER_SIZE), which
 * is also the default (seed: maxUserSize 1000). Capped, not refused: the limit is a deployment setting the
 * OpenAPI document cannot state, and the answer shows the size the room got.
 */
export function roomSizeLimit(deps: ApiDeps, requested: number | undefined): number {
  const limit = deps.config.API_ROOM_MAX_USER_SIZE;
  return requested === undefined ? limit : Math.min(requested, limit);
}

/**
 * A new room id: 16 random bytes as 32 lowercase hex digits (128 bits; ObjectIds were sequential and a
 * stranger walking back from their own room id found others'). Fits the protocol's `to` and `g_<roomId>`.
 */
export const newRoomId = (): string => randomBytes(16).toString("hex");

/**
 * Creates a room (seed /room/add): the creator is its owner (role 1); invited users must be friends of the
 * creator. Everyone added gets the room's conversation and one 907.
 */
export async function createRoom(deps: ApiDeps, me: number, body: z.output<typeof createRoomBody>): Promise<{ room: RoomDoc }> {
  const invited = (body.userIds ?? []).filter((id) => id !== me);
  const maxUserSize = roomSizeLimit(deps, body.maxUserSize);
  await requireFriends(deps, me, body.userIds ?? [], "body.userIds");
  if (invited.length + 1 > maxUserSize) throw new AppError("ROOM_FULL");
  const roomId = newRoomId();
  const now = Date.now();
  // No version bump: a room nobody can have cached yet; adding the members below bumps it.
  await deps.models.rooms.create({
    roomId,
    name: body.name,
    desc: body.desc ?? "",
    notice: "",
    ownerId: me,
    maxUserSize,
    userSize: 0,
    isNeedVerify: body.isNeedVerify ?? 0,
    isPublic: body.isPublic ?? 0,
    showRead: body.showRead ?? 0,
    talkTime: 0,
    createTime: now,
    modifier: me,
    modifyTime: now,
    status: RoomStatus.normal,
  });
  await withRoomLock(deps, roomId, () =>
    addMembers(deps, { roomId, maxUserSize }, [{ userId: me, role: RoomRole.owner }, ...invited.map((userId) => ({ userId }))], me),
  );
  return { room: await loadRoom(deps, roomId) };
}

/**
 * Deletes a room (owner only; seed /room/delete): it stops taking messages at once, every member gets a
 * 903, then the memberships, the pending requests and the shared files go; the members' conversations of it end at the 903.
 */
export async function deleteRoom(deps: ApiDeps, me: number, roomId: string): Promise<void> {
  await withRoomLock(deps, roomId, async () => {
    await loadRoom(deps, roomId);
    requireOwner(await requireMember(deps, roomId, me));
    const everyone = await memberIds(deps, roomId);
    // Each write replaces the room's version before the next step (cache-versions.ts).
    const version = [roomVersionKey(roomId)];
    await withVersionBump(deps.redis, version, () =>
      deps.models.rooms.updateOne({ roomId }, { $set: { status: RoomStatus.deleted, modifier: me, modifyTime: Date.now() } }),
    );
    const notice = await announce(deps, roomId, roomEventTypes.delete, { userIds: [], operator: me }, everyone);
    await withVersionBump(deps.redis, version, () => deps.models.roomMembers.deleteMany({ roomId }));
    await deps.models.roomJoinRequests.deleteMany({ roomId });
    // Its shared files go with it: a share would keep the upload from ever expiring (media-expiry keeps shared uploads).
    await deps.models.roomShares.deleteMany({ roomId });
    await leaveRoomConversation(deps.messages, everyone, roomId, notice.seq);
    await deps.models.rooms.updateOne({ roomId }, { $set: { userSize: 0 } });
  });
}
