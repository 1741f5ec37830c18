import { healthRoutes as defineHealthRoutes } from "@im/http";
import { canAccessUpload, deleteUpload, type UploadRecord, unshareUpload } from "@im/media";
import { AppError, decimalIntText, userIdTextSchema } from "@im/protocol";
import type { Request, Response } from "express";
import { z } from "zod";
import { avatarObject, checkRoomAdmin, uploadAvatar } from "./avatars.js";
import type { UploadDeps } from "./context.js";
import { serveObject } from "./downloads.js";
import type { DownloadVariant } from "./metrics.js";
import { abortMultipart, completeMultipart, initMultipart } from "./multipart.js";
import { defineRoute, type RouteSpec } from "./route.js";
import { ingestChatUpload, uploadView } from "./uploads.js";

const uploadIdParam = z.object({
  uploadId: z
    .string()
    .regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex digits")
    .describe("Upload id"),
});

const uploadViewSchema = z.object({
  uploadId: z.string(),
  kind: z.enum(["image", "voice", "video", "file", "avatar"]),
  size: z.number().int().describe("Bytes stored"),
  contentType: z.string(),
  name: z.string().describe("The client's file name, for display only"),
  width: z.number().int().optional().describe("px"),
  height: z.number().int().optional().describe("px"),
  duration: z.number().int().optional().describe("ms (voice, video)"),
  url: z.string().describe("The bytes: MEDIA_PUBLIC_URL + /v1/media/<uploadId> (needs the access token)"),
  thumbUrl: z.string().optional().describe("Thumbnail (images) or poster (videos)"),
  createTime: z.number().int().describe("epoch ms"),
  expireTime: z.number().int().nullable().describe("epoch ms when the upload is deleted (fileValidTime); null = never"),
});

const uploadForm = z.object({
  name: z.string().max(1000).optional().describe("File name for display (default: the file part's filename); before the file part"),
  size: z.string().regex(/^\d+$/).optional().describe("Declared size in bytes, checked against what arrives; before the file part"),
  file: z.string().describe("The file (binary), one part named file"),
});

const downloadErrors = ["UPLOAD_NOT_FOUND"] as const;
const uploadErrors = ["UPLOAD_EMPTY", "UPLOAD_TOO_LARGE", "UPLOAD_TYPE_NOT_ALLOWED", "UPLOAD_TRUNCATED", "MEDIA_UNREADABLE"] as const;

/** Loads a ready upload the caller may see, else UPLOAD_NOT_FOUND (never telling which: ids do not leak). */
async function visibleUpload(deps: UploadDeps, userId: number, uploadId: string, variant?: DownloadVariant): Promise<UploadRecord> {
  const upload = (await deps.models.uploads.findById(uploadId).lean()) as UploadRecord | null;
  if (upload?.status !== "ready") {
    if (variant) deps.metrics.downloads.inc({ variant, outcome: "not_found" });
    throw new AppError("UPLOAD_NOT_FOUND");
  }
  if (!(await canAccessUpload(deps, userId, upload))) {
    if (variant) deps.metrics.downloads.inc({ variant, outcome: "denied" });
    throw new AppError("UPLOAD_NOT_FOUND");
  }
  return upload;
}

/** Serves the stored avatar size nearest ≥ `size` of a user or room (302 or proxied); UPLOAD_NOT_FOUND when none. */
async function serveAvatar(
  deps: UploadDeps,
  scope: Parameters<typeof avatarObject>[1],
  size: number | undefined,
  raw: Request | undefined,
  reply: Response | undefined,
): Promise<undefined> {
  const key = await avatarObject(deps, scope, size);
  if (!key) {
    deps.metrics.downloads.inc({ variant: "avatar", outcome: "not_found" });
    throw new AppError("UPLOAD_NOT_FOUND");
  }
  if (!raw || !reply) throw new Error("avatar routes are stream routes");
  await serveObject(deps, raw, reply, { key, contentType: "image/jpeg", disposition: "inline" }, "avatar");
  return undefined;
}

/** `/healthz` and `/readyz` (MongoDB, Redis and the object storage answer). */
const healthRoutes = defineHealthRoutes<UploadDeps, "mongo" | "redis" | "storage">(
  {
    mongo: (deps) => deps.mongo.db?.admin().ping() ?? Promise.reject(new Error("no db")),
    redis: (deps) => deps.redis.ping(),
    storage: (deps) => deps.storage.ping(),
  },
  "MongoDB, Redis and the object storage",
);

const uploadRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/uploads",
    summary: "Upload an image, voice message, video or file (multipart/form-data, streamed; the seed's UploadServlet)",
    tags: ["uploads"],
    auth: "user",
    bodyType: "stream",
    query: z.object({ kind: z.enum(["image", "voice", "video", "file"]).describe("What the upload is for (its limits and processing)") }),
    body: uploadForm,
    response: { status: 201, description: "Stored (or deduplicated: the same bytes were stored before)", schema: uploadViewSchema },
    errors: uploadErrors,
    handler: async ({ query, userId, raw }, deps) => {
      const upload = await ingestChatUpload(deps, userId, query.kind, raw as NonNullable<typeof raw>);
      return uploadView(deps, upload);
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/uploads/multipart",
    summary: "Start a presigned multipart upload of a large file or video (parts go straight to the storage)",
    tags: ["uploads"],
    auth: "user",
    body: z.object({
      kind: z.enum(["file", "video"]),
      size: z.number().int().min(1).describe("Bytes of the whole file"),
      name: z.string().max(1000).default(""),
      partMd5s: z
        .array(z.string().regex(/^[0-9a-fA-F]{32}$/))
        .max(10_000)
        .optional()
        .describe("Hex MD5 of each part in order (partSize bytes each but the last); checked against the parts' ETags at complete"),
    }),
    response: {
      status: 201,
      description: "Pending: PUT each part to its URL, then complete",
      schema: z.object({
        uploadId: z.string(),
        partSize: z.number().int().describe("Bytes of every part but the last"),
        parts: z.array(z.object({ partNumber: z.number().int(), url: z.string() })),
        expiresAt: z.number().int().describe("epoch ms when the part URLs stop working"),
      }),
    },
    errors: ["UPLOAD_TOO_LARGE", "MULTIPART_INVALID", "RATE_LIMITED"],
    handler: async ({ body, userId }, deps) => initMultipart(deps, userId, body),
  }),
  defineRoute({
    method: "post",
    path: "/v1/uploads/multipart/:uploadId/complete",
    summary: "Complete a multipart upload: checks every part, their sizes and declared MD5s",
    tags: ["uploads"],
    auth: "user",
    params: uploadIdParam,
    response: { status: 200, description: "Stored", schema: uploadViewSchema },
    errors: ["UPLOAD_NOT_FOUND", "MULTIPART_INVALID", "UPLOAD_CHECKSUM_MISMATCH", "UPLOAD_TYPE_NOT_ALLOWED"],
    handler: async ({ params, userId }, deps) => uploadView(deps, await completeMultipart(deps, userId, params.uploadId)),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/uploads/multipart/:uploadId",
    summary: "Abort a pending multipart upload (its parts are dropped)",
    tags: ["uploads"],
    auth: "user",
    params: uploadIdParam,
    response: { status: 204, description: "Aborted" },
    errors: ["UPLOAD_NOT_FOUND"],
    handler: async ({ params, userId }, deps) => {
      await abortMultipart(deps, userId, params.uploadId);
      return undefined;
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/uploads/:uploadId",
    summary: "An upload's description (to its owner and whoever may see it)",
    tags: ["uploads"],
    auth: "user",
    params: uploadIdParam,
    response: { status: 200, description: "The upload", schema: uploadViewSchema },
    errors: downloadErrors,
    handler: async ({ params, userId }, deps) => uploadView(deps, await visibleUpload(deps, userId, params.uploadId)),
  }),
  defineRoute({
    method: "delete",
    path: "/v1/uploads/:uploadId",
    summary:
      "Delete one's own upload (the seed's DeleteFileServlet): it leaves every room it was shared in (402 to each) and stops being served to anyone; shared bytes stay while other users' uploads reference them",
    tags: ["uploads"],
    auth: "user",
    params: uploadIdParam,
    response: { status: 204, description: "Deleted" },
    errors: downloadErrors,
    handler: async ({ params, userId }, deps) => {
      const upload = (await deps.models.uploads.findById(params.uploadId).lean()) as UploadRecord | null;
      if (!upload || upload.ownerId !== userId || upload.status !== "ready") throw new AppError("UPLOAD_NOT_FOUND");
      // Shares first (each room hears a 402), then the grants of messages that carried it, then the upload:
      // each step is idempotent, so a delete that failed midway is finished by a retry.
      await unshareUpload({ models: deps.models, messages: deps.messages, io: deps.publisher }, upload._id, userId);
      await deps.models.mediaGrants.deleteMany({ uploadId: upload._id });
      await deleteUpload(deps, upload);
      return undefined;
    },
  }),
];

const proxyQuery = z.object({
  proxy: z
    .enum(["0", "1", "true", "false"])
    .optional()
    .describe("1: stream the bytes through the app (Range supported) instead of redirecting"),
  access_token: z.string().optional().describe("The access token, for clients that cannot send headers (img src)"),
});

const mediaRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/media/:uploadId",
    summary: "Download an upload's bytes: 302 to a short-lived presigned URL, or proxied with Range",
    tags: ["media"],
    auth: "user",
    params: uploadIdParam,
    query: proxyQuery,
    response: { status: 302, description: "Redirect to the storage (or 200/206 with the bytes when proxied)" },
    errors: downloadErrors,
    handler: async ({ params, userId, raw, reply }, deps) => {
      const upload = await visibleUpload(deps, userId, params.uploadId, "original");
      await serveObject(
        deps,
        raw as NonNullable<typeof raw>,
        reply as NonNullable<typeof reply>,
        {
          key: upload.key,
          contentType: upload.contentType,
          size: upload.size,
          ...(upload.name ? { filename: upload.name } : {}),
          disposition: upload.kind === "file" ? "attachment" : "inline",
        },
        "original",
      );
      return undefined;
    },
    bodyType: "stream",
  }),
  defineRoute({
    method: "get",
    path: "/v1/media/:uploadId/thumb",
    summary: "Download an image's thumbnail or a video's poster frame",
    tags: ["media"],
    auth: "user",
    params: uploadIdParam,
    query: proxyQuery,
    response: { status: 302, description: "Redirect to the storage (or 200/206 with the bytes when proxied)" },
    errors: downloadErrors,
    handler: async ({ params, userId, raw, reply }, deps) => {
      const upload = await visibleUpload(deps, userId, params.uploadId, "thumb");
      if (!upload.thumbKey) {
        deps.metrics.downloads.inc({ variant: "thumb", outcome: "not_found" });
        throw new AppError("UPLOAD_NOT_FOUND");
      }
      await serveObject(
        deps,
        raw as NonNullable<typeof raw>,
        reply as NonNullable<typeof reply>,
        { key: upload.thumbKey, contentType: "image/jpeg", disposition: "inline" },
        "thumb",
      );
      return undefined;
    },
    bodyType: "stream",
  }),
];

const avatarResult = z.object({
  avatarUrl: z.string().describe("MEDIA_PUBLIC_URL + /v1/avatars/<users|rooms>/<id>?v=<version>"),
  version: z.number().int(),
});
const avatarForm = z.object({ file: z.string().describe("The picture (JPEG, PNG, WebP, GIF, AVIF), one part named file") });
const sizeQuery = z.object({
  size: decimalIntText(1, 4096).optional().describe("Wanted px (square); the nearest stored size ≥ it is served"),
  v: z.string().max(20).optional().describe("Version (cache busting; the current one is served)"),
  proxy: z.enum(["0", "1", "true", "false"]).optional(),
});
const roomIdParam = z.object({ roomId: z.string().regex(/^[0-9a-f]{24}$|^[0-9a-f]{32}$/, "must be a room id") });

const avatarRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/avatars/users/me",
    summary: "Upload one's avatar (the seed's UploadAvatarServlet): resized to every configured size",
    tags: ["avatars"],
    auth: "user",
    bodyType: "stream",
    body: avatarForm,
    response: { status: 200, description: "The new avatar URL (also set as the user's avatarUrl)", schema: avatarResult },
    errors: uploadErrors,
    handler: async ({ userId, raw }, deps) => uploadAvatar(deps, raw as NonNullable<typeof raw>, { scope: "users", userId }),
  }),
  defineRoute({
    method: "post",
    path: "/v1/avatars/rooms/:roomId",
    summary: "Upload a room's avatar (its owner or admins)",
    tags: ["avatars"],
    auth: "user",
    bodyType: "stream",
    params: roomIdParam,
    body: avatarForm,
    response: { status: 200, description: "The new avatar URL (also set as the room's avatarUrl)", schema: avatarResult },
    errors: [...uploadErrors, "ROOM_NOT_FOUND", "ROOM_PERMISSION_DENIED"],
    handler: async ({ params, userId, raw }, deps) => {
      await checkRoomAdmin(deps, userId, params.roomId);
      return uploadAvatar(deps, raw as NonNullable<typeof raw>, { scope: "rooms", roomId: params.roomId });
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/avatars/users/:userId",
    summary: "A user's avatar (public): 302 to the stored size nearest ≥ ?size=, or proxied",
    tags: ["avatars"],
    auth: "public",
    bodyType: "stream",
    params: z.object({ userId: userIdTextSchema.describe("User id") }),
    query: sizeQuery,
    response: { status: 302, description: "Redirect to the storage (or 200 with the bytes when proxied)" },
    errors: downloadErrors,
    handler: async ({ params, query, raw, reply }, deps) =>
      serveAvatar(deps, { scope: "users", userId: params.userId }, query.size, raw, reply),
  }),
  defineRoute({
    method: "get",
    path: "/v1/avatars/rooms/:roomId",
    summary: "A room's avatar (public): 302 to the stored size nearest ≥ ?size=, or proxied",
    tags: ["avatars"],
    auth: "public",
    bodyType: "stream",
    params: roomIdParam,
    query: sizeQuery,
    response: { status: 302, description: "Redirect to the storage (or 200 with the bytes when proxied)" },
    errors: downloadErrors,
    handler: async ({ params, query, raw, reply }, deps) =>
      serveAvatar(deps, { scope: "rooms", roomId: params.roomId }, query.size, raw, reply),
  }),
];

/** Every route of the upload app, in the order they are matched and documented. */
export const allRoutes: RouteSpec[] = [...healthRoutes, ...uploadRoutes, ...mediaRoutes, ...avatarRoutes];
