import { userIdParams } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { block, unblock } from "./blacklist.js";
import { follow, unfollow } from "./follows.js";
import { updateFriend } from "./friend-settings.js";
import { removeFriend } from "./remove-friend.js";
import { acceptRequest, addFriend, replyToRequest } from "./requests.js";
import { acceptResult, addFriendBody, addFriendResult, friendItemSchema, friendPatch, replyBody } from "./schemas.js";

const tags = ["friends"];

/** Routes that change how two users relate. Each runs under both users' friend locks. */
export const relationshipRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/friends/:userId",
    summary: "Add a friend: direct, or a request they must accept (seed: /friends/add, /friends/attention/add)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "BLOCKED_BY_USER", "USER_IS_BLOCKED", "ALREADY_FRIENDS", "GREET_NOT_ALLOWED"],
    params: userIdParams,
    body: addFriendBody,
    response: { status: 200, description: "Friends now, or the request was sent", schema: addFriendResult },
    handler: async ({ userId, params, body }, deps) => ({
      result: await addFriend(deps, userId, params.userId, body.greeting ?? ""),
    }),
  }),
  defineRoute({
    method: "post",
    path: "/v1/friends/requests/:userId/accept",
    summary: "Accept this user's friend request (seed: /friends/attention/add, accepting)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "BLOCKED_BY_USER", "USER_IS_BLOCKED", "ALREADY_FRIENDS", "FRIEND_REQUEST_NOT_FOUND"],
    params: userIdParams,
    response: { status: 200, description: "We are friends", schema: acceptResult },
    handler: async ({ userId, params }, deps) => ({ result: await acceptRequest(deps, userId, params.userId) }),
  }),
  defineRoute({
    method: "post",
    path: "/v1/friends/requests/:userId/reply",
    summary: "Reply to a pending friend request between us (seed: /friends/add reply, type 502)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "BLOCKED_BY_USER", "USER_IS_BLOCKED", "FRIEND_REQUEST_NOT_FOUND", "GREET_NOT_ALLOWED"],
    params: userIdParams,
    body: replyBody,
    response: { status: 204, description: "Reply sent" },
    handler: async ({ userId, params, body }, deps) => {
      await replyToRequest(deps, userId, params.userId, body.content);
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/friends/:userId",
    summary: "End every relationship with this user, both ways; blacklist flags stay (seed: /friends/delete)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND"],
    params: userIdParams,
    response: { status: 204, description: "No relationship remains (also when there was none)" },
    handler: async ({ userId, params }, deps) => {
      await removeFriend(deps, userId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "patch",
    path: "/v1/friends/:userId",
    summary: "Set a friend's remark name and chat settings (seed: /friends/remark, /friends/update/OfflineNoPushMsg)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "NOT_FRIENDS"],
    params: userIdParams,
    body: friendPatch,
    response: { status: 200, description: "The friend", schema: friendItemSchema },
    handler: async ({ userId, params, body }, deps) => updateFriend(deps, userId, params.userId, body),
  }),
  defineRoute({
    method: "post",
    path: "/v1/follows/:userId",
    summary: "Follow a user without asking (seed: /friends/attention/add)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "BLOCKED_BY_USER", "USER_IS_BLOCKED", "FOLLOW_NOT_ALLOWED", "ALREADY_FRIENDS"],
    params: userIdParams,
    response: { status: 204, description: "Following" },
    handler: async ({ userId, params }, deps) => {
      await follow(deps, userId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/follows/:userId",
    summary: "Stop following a user, or withdraw a friend request (seed: /friends/attention/delete)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "ALREADY_FRIENDS"],
    params: userIdParams,
    response: { status: 204, description: "Not following (also when I was not)" },
    handler: async ({ userId, params }, deps) => {
      await unfollow(deps, userId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/blacklist/:userId",
    summary: "Block a user (seed: /friends/blacklist/add)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND"],
    params: userIdParams,
    response: { status: 204, description: "Blocked (also when already blocked)" },
    handler: async ({ userId, params }, deps) => {
      await block(deps, userId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/blacklist/:userId",
    summary: "Unblock a user (seed: /friends/blacklist/delete)",
    tags,
    auth: "user",
    errors: ["CANNOT_TARGET_SELF", "USER_NOT_FOUND", "NOT_BLOCKED"],
    params: userIdParams,
    response: { status: 204, description: "Unblocked" },
    handler: async ({ userId, params }, deps) => {
      await unblock(deps, userId, params.userId);
      return undefined;
    },
  }),
];
