import { readBadge, setBadge } from "@im/push";
import { defineRoute } from "../../http/route.js";
import { listDevices, registerDevice, removeDevice, toDeviceView } from "./devices.js";
import { muteConversation, unmuteConversation } from "./mutes.js";
import {
  badgeBody,
  badgeSchema,
  conversationIdParams,
  deviceIdParams,
  deviceList,
  deviceSchema,
  muteList,
  muteSchema,
  registerDeviceBody,
} from "./schemas.js";

const tags = ["push"];

/**
 * Offline push, the client's side (issue 12): the device registry (a push token per session and provider),
 * the badge, and muted conversations. Do-not-disturb elsewhere: user settings offlineNoPush / pushPreview /
 * pushMentions (PATCH /v1/users/me/settings), a friend's offlineNoPushMsg, a room's (PUT
 * /v1/rooms/{roomId}/members/{me} offlineNoPushMsg).
 */
export const pushRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/push/devices",
    summary:
      "Register this session's push token for a provider (replaces the session's earlier token of that provider; a token registered by another account moves to me)",
    tags,
    auth: "user",
    body: registerDeviceBody,
    response: { status: 200, description: "The registered device", schema: deviceSchema },
    handler: async ({ auth, body }, deps) => toDeviceView(await registerDevice(deps, auth, body), auth.sessionId),
  }),
  defineRoute({
    method: "get",
    path: "/v1/push/devices",
    summary: "My push devices, every session's",
    tags,
    auth: "user",
    response: { status: 200, description: "Devices, newest first", schema: deviceList },
    handler: async ({ userId, auth }, deps) => ({
      items: (await listDevices(deps.models, userId)).map((device) => toDeviceView(device, auth.sessionId)),
    }),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/push/devices/current",
    summary: "Stop pushes to this session (remove its tokens of every provider); logging out does it too",
    tags,
    auth: "user",
    response: { status: 204, description: "Removed (or there were none)" },
    handler: async ({ userId, auth }, deps) => {
      await deps.models.pushDevices.deleteMany({ userId, sessionId: auth.sessionId });
      return undefined;
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/push/devices/:deviceId",
    summary: "Remove one of my push devices",
    tags,
    auth: "user",
    errors: ["PUSH_DEVICE_NOT_FOUND"],
    params: deviceIdParams,
    response: { status: 204, description: "Removed" },
    handler: async ({ userId, params }, deps) => {
      await removeDevice(deps.models, deps.redis, userId, params.deviceId);
      return undefined;
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/push/badge",
    summary: "My badge: the unread count the next push carries",
    tags,
    auth: "user",
    response: { status: 200, description: "The badge", schema: badgeSchema },
    handler: async ({ userId }, deps) => ({ badge: await readBadge(deps.redis, userId) }),
  }),
  defineRoute({
    method: "put",
    path: "/v1/push/badge",
    summary: "Reset my badge (the user read the messages or opened the app), or set it to the client's unread count",
    tags,
    auth: "user",
    body: badgeBody,
    response: { status: 200, description: "The badge now", schema: badgeSchema },
    handler: async ({ userId, body }, deps) => {
      await setBadge(deps.redis, userId, body.badge);
      return { badge: body.badge };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/push/mutes",
    summary: "Conversations I muted for offline push",
    tags,
    auth: "user",
    response: { status: 200, description: "Muted conversations", schema: muteList },
    handler: async ({ userId }, deps) => {
      const rows = await deps.models.conversationMutes.find({ userId }).sort({ createTime: -1, conversationId: 1 }).limit(10_000).lean();
      return { items: rows.map((row) => ({ conversationId: row.conversationId, createTime: row.createTime })) };
    },
  }),
  defineRoute({
    method: "put",
    path: "/v1/push/mutes/:conversationId",
    summary: "Mute a conversation (single chat or room) for offline push; messages still arrive and sync",
    tags,
    auth: "user",
    errors: ["CONVERSATION_NOT_FOUND"],
    params: conversationIdParams,
    response: { status: 200, description: "Muted", schema: muteSchema },
    handler: async ({ userId, params }, deps) => ({
      conversationId: params.conversationId,
      ...(await muteConversation(deps, userId, params.conversationId)),
    }),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/push/mutes/:conversationId",
    summary: "Unmute a conversation for offline push",
    tags,
    auth: "user",
    params: conversationIdParams,
    response: { status: 204, description: "Not muted" },
    handler: async ({ userId, params }, deps) => {
      await unmuteConversation(deps, userId, params.conversationId);
      return undefined;
    },
  }),
];
