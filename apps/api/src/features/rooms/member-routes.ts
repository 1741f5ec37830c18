import { pageOf, pageQuery } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { approveJoin, createJoinLink, joinRoom, rejectJoin } from "./join.js";
import { listJoinRequests, listMembers } from "./lists.js";
import { invite, removeFromRoom, updateMember } from "./members.js";
import {
  inviteBody,
  inviteResult,
  joinBody,
  joinLinkSchema,
  joinRequestSchema,
  joinResult,
  memberPut,
  memberSchema,
  roomIdParams,
  roomMemberParams,
} from "./schemas.js";
import { toMemberView } from "./views.js";

const tags = ["rooms"];

/** Who is in a room: members, invitations, joining and its approval, leaving and kicks. */
export const memberRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/rooms/:roomId/members",
    summary: "A room's members in join order, for its members (seed: /room/member/list)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND"],
    params: roomIdParams,
    query: pageQuery,
    response: { status: 200, description: "A page of members", schema: pageOf(memberSchema) },
    handler: async ({ userId, params, query }, deps) => listMembers(deps, userId, params.roomId, query),
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/members",
    summary: "Add friends of mine to a room (owner or admin only in rooms that need approval; members get a 907)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED", "NOT_FRIENDS", "ROOM_FULL"],
    params: roomIdParams,
    body: inviteBody,
    response: { status: 200, description: "Who was added", schema: inviteResult },
    handler: async ({ userId, params, body }, deps) => ({ added: await invite(deps, userId, params.roomId, body.userIds) }),
  }),
  defineRoute({
    method: "put",
    path: "/v1/rooms/:roomId/members/:userId",
    summary:
      "Make a member admin or not (owner, 913), mute them until a time (owner or admin, 906), set my nickname here (901) or my do-not-disturb (offlineNoPushMsg)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "NOT_ROOM_MEMBER", "ROOM_PERMISSION_DENIED"],
    params: roomMemberParams,
    body: memberPut,
    response: { status: 200, description: "The member", schema: memberSchema },
    handler: async ({ userId, params, body }, deps) => {
      const member = await updateMember(deps, userId, params.roomId, params.userId, body);
      const user = await deps.models.users.findOne({ userId: member.userId }).lean();
      return toMemberView(member, user ?? undefined, userId);
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/rooms/:roomId/members/:userId",
    summary: "Leave a room (my own userId) or remove a member (owner or admin) (seed: /room/member/delete; members get a 904)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "NOT_ROOM_MEMBER", "ROOM_PERMISSION_DENIED", "CANNOT_REMOVE_OWNER"],
    params: roomMemberParams,
    response: { status: 204, description: "Not a member any more" },
    handler: async ({ userId, params }, deps) => {
      await removeFromRoom(deps, userId, params.roomId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/join",
    summary:
      "Join a public room, or a private one with a join link's token; a room that needs approval makes it a request (seed: /room/join; members get a 907)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "JOIN_TOKEN_INVALID", "ALREADY_ROOM_MEMBER", "ROOM_FULL"],
    params: roomIdParams,
    body: joinBody,
    response: {
      status: 200,
      description: "Joined",
      schema: joinResult,
      alternative: { status: 202, description: "Asked: an owner or admin must approve", when: (body) => body.status === "pending" },
    },
    handler: async ({ userId, params, body }, deps) => ({
      status: await joinRoom(deps, userId, params.roomId, { token: body.token, reason: body.reason ?? "" }),
    }),
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/join-links",
    summary: "Make a join link: a token that lets whoever holds it join this private room until it expires (owner or admin)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED"],
    params: roomIdParams,
    response: { status: 201, description: "The link's token", schema: joinLinkSchema },
    handler: async ({ userId, params }, deps) => createJoinLink(deps, userId, params.roomId),
  }),
  defineRoute({
    method: "get",
    path: "/v1/rooms/:roomId/join-requests",
    summary: "Pending requests to join, oldest first (owner or admin)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED"],
    params: roomIdParams,
    query: pageQuery,
    response: { status: 200, description: "A page of requests", schema: pageOf(joinRequestSchema) },
    handler: async ({ userId, params, query }, deps) => listJoinRequests(deps, userId, params.roomId, query),
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/join-requests/:userId/approve",
    summary: "Approve a request to join (owner or admin; members get a 907)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED", "JOIN_REQUEST_NOT_FOUND", "USER_NOT_FOUND", "ROOM_FULL"],
    params: roomMemberParams,
    response: { status: 204, description: "The user is a member" },
    handler: async ({ userId, params }, deps) => {
      await approveJoin(deps, userId, params.roomId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/rooms/:roomId/join-requests/:userId",
    summary: "Reject a request to join (owner or admin)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED", "JOIN_REQUEST_NOT_FOUND"],
    params: roomMemberParams,
    response: { status: 204, description: "Rejected" },
    handler: async ({ userId, params }, deps) => {
      await rejectJoin(deps, userId, params.roomId, params.userId);
      return undefined;
    },
  }),
];
