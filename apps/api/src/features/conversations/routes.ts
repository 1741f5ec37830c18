import { pageOf, pageQuery } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { clearConversation, history, listConversations } from "./history.js";
import { conversationItemSchema, conversationParams, historyQuery, historySchema } from "./schemas.js";

const tags = ["conversations"];

/** Chat history over REST (seed: TigaseController chat records) for the conversations a user belongs to. */
export const conversationRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/conversations",
    summary: "My conversations with their latest seq, newest first",
    tags,
    auth: "user",
    query: pageQuery,
    response: { status: 200, description: "A page of conversations", schema: pageOf(conversationItemSchema) },
    handler: async ({ userId, query }, deps) => listConversations(deps.messages, userId, query),
  }),
  defineRoute({
    method: "get",
    path: "/v1/conversations/:conversationId/messages",
    summary: "A page of a conversation's messages (seed: /tigase/shiku_msgs, /tigase/shiku_muc_msgs)",
    tags,
    auth: "user",
    errors: ["CONVERSATION_NOT_FOUND"],
    params: conversationParams,
    query: historyQuery,
    response: { status: 200, description: "Messages in seq order", schema: historySchema },
    handler: async ({ userId, params, query }, deps) => history(deps.messages, userId, params.conversationId, query),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/conversations/:conversationId",
    summary: "Delete my copy of a conversation's messages so far (seed: /tigase/deleteMsg)",
    tags,
    auth: "user",
    errors: ["CONVERSATION_NOT_FOUND"],
    params: conversationParams,
    response: { status: 204, description: "Cleared; later messages still arrive" },
    handler: async ({ userId, params }, deps) => {
      await clearConversation(deps.messages, userId, params.conversationId);
      return undefined;
    },
  }),
];
