import { type RoomDoc, type RoomMemberDoc, RoomRole, RoomStatus } from "@im/data";
import { withLocks } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ApiDeps } from "../../context.js";

/** The Redis lock every change to a room, its members or its join requests holds. */
export const roomLock = (roomId: string) => `lock:room:${roomId}`;
/** Busy rooms see many joins at once: let them queue rather than fail fast. */
const ROOM_LOCK_OPTIONS = { waitMs: 15_000, ttlMs: 20_000 };

/** Runs `work` under the room's lock (the only way rooms change: FerretDB updates are not atomic). */
export function withRoomLock<T>(deps: ApiDeps, roomId: string, work: () => Promise<T>): Promise<T> {
  return withLocks(deps.redis, [roomLock(roomId)], work, ROOM_LOCK_OPTIONS);
}

/** A room that exists and is not deleted, else ROOM_NOT_FOUND. */
export async function loadRoom(deps: ApiDeps, roomId: string): Promise<RoomDoc> {
  const room = await deps.models.rooms.findOne({ roomId, status: RoomStatus.normal }).lean();
  if (!room) throw new AppError("ROOM_NOT_FOUND");
  return room;
}

export function findMember(deps: ApiDeps, roomId: string, userId: number): Promise<RoomMemberDoc | null> {
  return deps.models.roomMembers.findOne({ roomId, userId }).lean();
}

/**
 * The caller's membership, else ROOM_NOT_FOUND: to someone outside it a room answers exactly as a room
 * that does not exist does, so nobody learns which ids are taken (issue 10, item 2l).
 */
export async function requireMember(deps: ApiDeps, roomId: string, userId: number): Promise<RoomMemberDoc> {
  const member = await findMember(deps, roomId, userId);
  if (!member) throw new AppError("ROOM_NOT_FOUND");
  return member;
}

/** Another user's membership (the target of a kick, a mute, ...), else NOT_ROOM_MEMBER naming the user. */
export async function requireTargetMember(deps: ApiDeps, roomId: string, userId: number): Promise<RoomMemberDoc> {
  const member = await findMember(deps, roomId, userId);
  if (!member) throw new AppError("NOT_ROOM_MEMBER", { issues: [{ field: "params.userId", message: "is not a member of this room" }] });
  return member;
}

export const isManager = (member: Pick<RoomMemberDoc, "role">) => member.role === RoomRole.owner || member.role === RoomRole.admin;

export function requireManager(member: Pick<RoomMemberDoc, "role">): void {
  if (!isManager(member)) throw new AppError("ROOM_PERMISSION_DENIED");
}

export function requireOwner(member: Pick<RoomMemberDoc, "role">): void {
  if (member.role !== RoomRole.owner) throw new AppError("ROOM_PERMISSION_DENIED");
}

/** May `actor` act on `target` (kick, mute)? The owner on anyone else; admins only on plain members. */
export function requireAbove(actor: Pick<RoomMemberDoc, "role">, target: Pick<RoomMemberDoc, "role">): void {
  requireManager(actor);
  if (target.role === RoomRole.owner) throw new AppError("ROOM_PERMISSION_DENIED");
  if (actor.role !== RoomRole.owner && target.role !== RoomRole.member) throw new AppError("ROOM_PERMISSION_DENIED");
}
