import { randomBytes } from "node:crypto";
import { UserStatus } from "@im/data";
import { isDuplicateKeyError } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";
import { findMember, loadRoom, requireManager, requireMember, withRoomLock } from "./access.js";
import { addMembers } from "./membership.js";

/** The Redis key of a join link's token; its value is the room id, its TTL the link's lifetime. */
const joinLinkKey = (token: string) => `room:join-link:${token}`;

/**
 * Makes a join link for a room (owner or admin): a token of 24 random bytes (base64url, 32 characters)
 * that lets whoever holds it join until `expiresAt` (epoch ms; API_ROOM_JOIN_LINK_TTL_SECONDS).
 */
export async function createJoinLink(deps: ApiDeps, me: number, roomId: string): Promise<{ token: string; expiresAt: number }> {
  await loadRoom(deps, roomId);
  requireManager(await requireMember(deps, roomId, me));
  const token = randomBytes(24).toString("base64url");
  const ttlSeconds = deps.config.API_ROOM_JOIN_LINK_TTL_SECONDS;
  await deps.redis.set(joinLinkKey(token), roomId, "EX", ttlSeconds);
  return { token, expiresAt: Date.now() + ttlSeconds * 1000 };
}

/**
 * Joins a room (seed /room/join). A private room (the default) is joined only with a join link's token
 * (else ROOM_NOT_FOUND, the answer a room that does not exist gives); a public one by anyone. A token
 * that is not a live link of this room → JOIN_TOKEN_INVALID, checked before the room is looked at, so
 * it says nothing about the room either. When the room needs approval the join becomes a pending request
 * an owner or admin approves. Already a member → ALREADY_ROOM_MEMBER; no room for one more → ROOM_FULL.
 * Invitations by a member (POST /v1/rooms/{id}/members) are the third way in.
 */
export async function joinRoom(
  deps: ApiDeps,
  me: number,
  roomId: string,
  request: { token?: string | undefined; reason: string },
): Promise<"joined" | "pending"> {
  if (request.token !== undefined && (await deps.redis.get(joinLinkKey(request.token))) !== roomId) {
    throw new AppError("JOIN_TOKEN_INVALID");
  }
  return withRoomLock(deps, roomId, async () => {
    const room = await loadRoom(deps, roomId);
    const member = await findMember(deps, roomId, me);
    if (request.token === undefined && room.isPublic !== 1 && !member) throw new AppError("ROOM_NOT_FOUND");
    if (member) throw new AppError("ALREADY_ROOM_MEMBER");
    const reason = request.reason;
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
    const user = await deps.models.users.findOne({ userId, status: { $ne: UserStatus.disabled } }, { _id: 0, userId: 1 }).lean();
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
