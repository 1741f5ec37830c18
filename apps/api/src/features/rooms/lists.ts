import { RoomStatus, type UserDoc } from "@im/data";
import type { ApiDeps } from "../../context.js";
import { type PageQuery, paged } from "../../http/common-schemas.js";
import { loadRoom, requireManager, requireMember } from "./access.js";
import { toJoinRequestView, toMemberView, toRoomView } from "./views.js";

async function profiles(deps: ApiDeps, ids: number[]): Promise<Map<number, UserDoc>> {
  if (ids.length === 0) return new Map();
  const users = await deps.models.users.find({ userId: { $in: ids } }).lean();
  return new Map(users.map((user) => [user.userId, user]));
}

/** One room, for its members (seed /room/get). */
export async function getRoom(deps: ApiDeps, me: number, roomId: string) {
  const room = await loadRoom(deps, roomId);
  const member = await requireMember(deps, roomId, me);
  return toRoomView(room, member.role);
}

/** The rooms I am in, latest joined first (seed /room/list). */
export async function listMyRooms(deps: ApiDeps, me: number, query: PageQuery) {
  const page = await paged(query, (skip, limit) =>
    deps.models.roomMembers.find({ userId: me }).sort({ joinTime: -1, _id: -1 }).skip(skip).limit(limit).lean(),
  );
  const rooms = await deps.models.rooms.find({ roomId: { $in: page.items.map((m) => m.roomId) }, status: RoomStatus.normal }).lean();
  const byId = new Map(rooms.map((room) => [room.roomId, room]));
  return {
    ...page,
    items: page.items.flatMap((member) => {
      const room = byId.get(member.roomId);
      return room ? [toRoomView(room, member.role)] : [];
    }),
  };
}

/** A room's members in join order, for its members (seed /room/member/list). */
export async function listMembers(deps: ApiDeps, me: number, roomId: string, query: PageQuery) {
  await loadRoom(deps, roomId);
  await requireMember(deps, roomId, me);
  const page = await paged(query, (skip, limit) =>
    deps.models.roomMembers.find({ roomId }).sort({ joinTime: 1, _id: 1 }).skip(skip).limit(limit).lean(),
  );
  const users = await profiles(
    deps,
    page.items.map((m) => m.userId),
  );
  return { ...page, items: page.items.map((member) => toMemberView(member, users.get(member.userId), me)) };
}

/** Pending join requests, oldest first (owner and admins). */
export async function listJoinRequests(deps: ApiDeps, me: number, roomId: string, query: PageQuery) {
  await loadRoom(deps, roomId);
  requireManager(await requireMember(deps, roomId, me));
  const page = await paged(query, (skip, limit) =>
    deps.models.roomJoinRequests.find({ roomId }).sort({ createTime: 1, _id: 1 }).skip(skip).limit(limit).lean(),
  );
  const users = await profiles(
    deps,
    page.items.map((r) => r.userId),
  );
  return { ...page, items: page.items.map((request) => toJoinRequestView(request, users.get(request.userId))) };
}
