import { pageOf, pageQuery } from "../../http/common-schemas.js";
import { requireAuth } from "../../http/require-auth.js";
import { defineRoute } from "../../http/route.js";
import { approveJoin, joinRoom, rejectJoin } from "./join.js";
import { listJoinRequests, listMembers } from "./lists.js";
import { invite, removeFromRoom, updateMember } from "./members.js";
import {
  inviteBody,
  inviteResult,
  joinBody,
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
    params: roomIdParams,
    query: pageQuery,
    response: { status: 200, description: "A page of members", schema: pageOf(memberSchema) },
    handler: async ({ auth, params, query }, deps) => listMembers(deps, requireAuth(auth).userId, params.roomId, query),
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/members",
    summary: "Add friends of mine to a room (owner or admin only in rooms that need approval; members get a 907)",
    tags,
    params: roomIdParams,
    body: inviteBody,
    response: { status: 200, description: "Who was added", schema: inviteResult },
    handler: async ({ auth, params, body }, deps) => ({ added: await invite(deps, requireAuth(auth).userId, params.roomId, body.userIds) }),
  }),
  defineRoute({
    method: "put",
    path: "/v1/rooms/:roomId/members/:userId",
    summary: "Make a member admin or not (owner, 913), mute them until a time (owner or admin, 906), or set my nickname here (901)",
    tags,
    params: roomMemberParams,
    body: memberPut,
    response: { status: 200, description: "The member", schema: memberSchema },
    handler: async ({ auth, params, body }, deps) => {
      const member = await updateMember(deps, requireAuth(auth).userId, params.roomId, params.userId, body);
      const user = await deps.models.users.findOne({ userId: member.userId }).lean();
      return toMemberView(member, user ?? undefined);
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/rooms/:roomId/members/:userId",
    summary: "Leave a room (my own userId) or remove a member (owner or admin) (seed: /room/member/delete; members get a 904)",
    tags,
    params: roomMemberParams,
    response: { status: 204, description: "Not a member any more" },
    handler: async ({ auth, params }, deps) => {
      await removeFromRoom(deps, requireAuth(auth).userId, params.roomId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/join",
    summary: "Join a room, or ask to when it needs approval (seed: /room/join; members get a 907)",
    tags,
    params: roomIdParams,
    body: joinBody,
    response: {
      status: 200,
      description: "Joined",
      schema: joinResult,
      alternative: { status: 202, description: "Asked: an owner or admin must approve", when: (body) => body.status === "pending" },
    },
    handler: async ({ auth, params, body }, deps) => ({
      status: await joinRoom(deps, requireAuth(auth).userId, params.roomId, body.reason ?? ""),
    }),
  }),
  defineRoute({
    method: "get",
    path: "/v1/rooms/:roomId/join-requests",
    summary: "Pending requests to join, oldest first (owner or admin)",
    tags,
    params: roomIdParams,
    query: pageQuery,
    response: { status: 200, description: "A page of requests", schema: pageOf(joinRequestSchema) },
    handler: async ({ auth, params, query }, deps) => listJoinRequests(deps, requireAuth(auth).userId, params.roomId, query),
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/join-requests/:userId/approve",
    summary: "Approve a request to join (owner or admin; members get a 907)",
    tags,
    params: roomMemberParams,
    response: { status: 204, description: "The user is a member" },
    handler: async ({ auth, params }, deps) => {
      await approveJoin(deps, requireAuth(auth).userId, params.roomId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/rooms/:roomId/join-requests/:userId",
    summary: "Reject a request to join (owner or admin)",
    tags,
    params: roomMemberParams,
    response: { status: 204, description: "Rejected" },
    handler: async ({ auth, params }, deps) => {
      await rejectJoin(deps, requireAuth(auth).userId, params.roomId, params.userId);
      return undefined;
    },
  }),
];
