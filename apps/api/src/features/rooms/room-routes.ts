import { pageOf, pageQuery } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { createRoom, deleteRoom } from "./create-room.js";
import { getRoom, listMyRooms } from "./lists.js";
import { createRoomBody, roomIdParams, roomPatch, roomSchema } from "./schemas.js";
import { updateRoom } from "./update-room.js";
import { toRoomView } from "./views.js";

const tags = ["rooms"];

/** Rooms themselves: create, read, change, delete (seed 三.3). */
export const roomRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/rooms",
    summary: "Create a room with me as its owner, optionally adding friends (seed: /room/add; members get a 907)",
    tags,
    auth: "user",
    errors: ["NOT_FRIENDS", "ROOM_FULL"],
    body: createRoomBody,
    response: { status: 201, description: "The new room", schema: roomSchema },
    handler: async ({ userId, body }, deps) => toRoomView((await createRoom(deps, userId, body)).room, 1),
  }),
  defineRoute({
    method: "get",
    path: "/v1/rooms",
    summary: "The rooms I am in, latest joined first (seed: /room/list)",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of rooms", schema: pageOf(roomSchema) },
    handler: async ({ userId, query }, deps) => listMyRooms(deps, userId, query),
  }),
  defineRoute({
    method: "get",
    path: "/v1/rooms/:roomId",
    summary: "One room, for its members (seed: /room/get)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND"],
    params: roomIdParams,
    response: { status: 200, description: "The room", schema: roomSchema },
    handler: async ({ userId, params }, deps) => getRoom(deps, userId, params.roomId),
  }),
  defineRoute({
    method: "patch",
    path: "/v1/rooms/:roomId",
    summary:
      "Change a room's name, description, notice, approval, read receipts, mute, size or avatar (owner or admin; seed: /room/update)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED", "ROOM_FULL", "AVATAR_URL_NOT_ALLOWED"],
    params: roomIdParams,
    body: roomPatch,
    response: { status: 200, description: "The room", schema: roomSchema },
    handler: async ({ userId, params, body }, deps) => {
      const me = userId;
      const room = await updateRoom(deps, me, params.roomId, body);
      return getRoomView(room, deps, me);
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/rooms/:roomId",
    summary: "Delete a room (owner only; seed: /room/delete; members get a 903)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED"],
    params: roomIdParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ userId, params }, deps) => {
      await deleteRoom(deps, userId, params.roomId);
      return undefined;
    },
  }),
];

async function getRoomView(room: Parameters<typeof toRoomView>[0], deps: Parameters<typeof getRoom>[0], me: number) {
  const member = await deps.models.roomMembers.findOne({ roomId: room.roomId, userId: me }, { role: 1 }).lean();
  return toRoomView(room, member?.role);
}
