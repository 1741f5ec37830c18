import { pageOf, pageQuery } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { listBlacklist, listFans, listFollows, listFriends, listNewFriends } from "./lists.js";
import { friendItemSchema, newFriendItemSchema, userItemSchema } from "./schemas.js";

const tags = ["friends"];

export const listRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/friends",
    summary: "My friends, newest first, without the ones I blocked (seed: /friends/list, /friends/attention/list)",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of friends", schema: pageOf(friendItemSchema) },
    handler: async ({ userId, query }, deps) => listFriends(deps.models, userId, query),
  }),
  defineRoute({
    method: "get",
    path: "/v1/fans",
    summary: "Users who follow me or are my friends (seed: /friends/fans/list)",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of fans", schema: pageOf(userItemSchema) },
    handler: async ({ userId, query }, deps) => listFans(deps.models, userId, query),
  }),
  defineRoute({
    method: "get",
    path: "/v1/follows",
    summary: "Users I follow or asked to be friends, not yet friends (seed: /friends/attention/list)",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of followed users", schema: pageOf(userItemSchema) },
    handler: async ({ userId, query }, deps) => listFollows(deps.models, userId, query),
  }),
  defineRoute({
    method: "get",
    path: "/v1/blacklist",
    summary: "Users I blocked (seed: /friends/blacklist)",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of blocked users", schema: pageOf(userItemSchema) },
    handler: async ({ userId, query }, deps) => listBlacklist(deps.models, userId, query),
  }),
  defineRoute({
    method: "get",
    path: "/v1/new-friends",
    summary: "My friend notices (requests, replies, follows, …), newest first (seed: /friends/newFriend/list)",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of notices", schema: pageOf(newFriendItemSchema) },
    handler: async ({ userId, query }, deps) => listNewFriends(deps.models, userId, query),
  }),
];
