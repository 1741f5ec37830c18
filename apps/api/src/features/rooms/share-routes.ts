import { uploadIdSchema } from "@im/protocol";
import { z } from "zod";
import { pageOf, pageQuery } from "../../http/common-schemas.js";
import { defineRoute } from "../../http/route.js";
import { roomIdParams } from "./schemas.js";
import { addRoomFile, deleteRoomFile, downloadRoomFile, listRoomFiles } from "./shares.js";

const tags = ["rooms"];

const shareParams = roomIdParams.extend({
  shareId: z
    .string()
    .regex(/^[0-9a-f]{32}$/, "must be a share id (32 lowercase hex digits)")
    .describe("Shared file id"),
});

const roomFileSchema = z.object({
  shareId: z.string(),
  roomId: z.string(),
  uploadId: z.string().describe("The upload shared; fetch it through POST .../download"),
  userId: z.number().int().describe("Who shared it"),
  name: z.string().describe("File name, for display only"),
  size: z.number().int().describe("Bytes"),
  contentType: z.string(),
  time: z.number().int().describe("When it was shared, epoch ms"),
});

const addBody = z.object({ uploadId: uploadIdSchema.describe("One of my uploads (any kind but avatar), as the upload app returned it") });

/** A room's shared files (seed shiku_room_share; notices 401 shared, 402 deleted, 403 downloaded). */
export const shareRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/rooms/:roomId/files",
    summary: "A room's shared files, newest first, for its members (seed: /room/share/find)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND"],
    params: roomIdParams,
    query: pageQuery,
    response: { status: 200, description: "A page of shared files", schema: pageOf(roomFileSchema) },
    handler: async ({ userId, params, query }, deps) => listRoomFiles(deps, userId, params.roomId, query),
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/files",
    summary:
      "Share one of my uploads with the room (members; once per upload and room: again answers the same share; members get a 401; seed: /room/add/share)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_MUTED", "UPLOAD_NOT_FOUND", "UPLOAD_NOT_SHAREABLE", "UPLOAD_KIND_MISMATCH", "BUSY_RETRY"],
    params: roomIdParams,
    body: addBody,
    response: { status: 201, description: "The shared file", schema: roomFileSchema },
    handler: async ({ userId, params, body }, deps) => addRoomFile(deps, userId, params.roomId, body.uploadId),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/rooms/:roomId/files/:shareId",
    summary: "Delete a shared file (who shared it, admins or the owner; members get a 402; seed: /room/share/delete)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_SHARE_NOT_FOUND", "ROOM_PERMISSION_DENIED"],
    params: shareParams,
    response: { status: 204, description: "Deleted" },
    handler: async ({ userId, params }, deps) => {
      await deleteRoomFile(deps, userId, params.roomId, params.shareId);
      return undefined;
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/rooms/:roomId/files/:shareId/download",
    summary: "Download a shared file: members get its URL in the upload app, and the room a 403 (seed: /room/share/get)",
    tags,
    auth: "user",
    errors: ["ROOM_NOT_FOUND", "ROOM_SHARE_NOT_FOUND"],
    params: shareParams,
    response: {
      status: 200,
      description: "Where to fetch it (with the access token)",
      schema: z.object({ url: z.string().describe("MEDIA_PUBLIC_URL + /v1/media/<uploadId>") }),
    },
    handler: async ({ userId, params }, deps) => downloadRoomFile(deps, userId, params.roomId, params.shareId),
  }),
];
