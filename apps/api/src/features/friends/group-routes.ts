import { z } from "zod";
import { defineRoute } from "../../http/route.js";
import { createGroup, deleteGroup, listGroups, updateGroup } from "./friend-groups.js";
import { friendGroupSchema, groupCreateBody, groupIdParams, groupPatchBody } from "./schemas.js";

const tags = ["friend groups"];

export const groupRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/friend-groups",
    summary: "My friend groups, oldest first (seed: /friendGroup/list)",
    tags,
    auth: "user",
    response: { status: 200, description: "All my groups", schema: z.object({ items: z.array(friendGroupSchema) }) },
    handler: async ({ userId }, deps) => ({ items: await listGroups(deps.models, userId) }),
  }),
  defineRoute({
    method: "post",
    path: "/v1/friend-groups",
    summary: "Create a friend group (seed: /friendGroup/add)",
    tags,
    auth: "user",
    errors: ["NOT_FRIENDS", "FRIEND_GROUP_LIMIT", "FRIEND_GROUP_NAME_TAKEN"],
    body: groupCreateBody,
    response: { status: 201, description: "The new group", schema: friendGroupSchema },
    handler: async ({ userId, body }, deps) => createGroup(deps, userId, body.groupName, body.userIds ?? []),
  }),
  defineRoute({
    method: "patch",
    path: "/v1/friend-groups/:groupId",
    summary: "Rename a friend group or replace its members (seed: /friendGroup/update, /friendGroup/updateGroupUserList)",
    tags,
    auth: "user",
    errors: ["NOT_FRIENDS", "FRIEND_GROUP_NOT_FOUND", "FRIEND_GROUP_NAME_TAKEN"],
    params: groupIdParams,
    body: groupPatchBody,
    response: { status: 200, description: "The updated group", schema: friendGroupSchema },
    handler: async ({ userId, params, body }, deps) => updateGroup(deps, userId, params.groupId, body),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/friend-groups/:groupId",
    summary: "Delete a friend group; its friends stay friends (seed: /friendGroup/delete)",
    tags,
    auth: "user",
    errors: ["FRIEND_GROUP_NOT_FOUND"],
    params: groupIdParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ userId, params }, deps) => {
      await deleteGroup(deps, userId, params.groupId);
      return undefined;
    },
  }),
];
