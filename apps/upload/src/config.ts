import { envBoolean, envInt, envList, loadConfig, mediaSettings, platformSettings, pushQueueSettings } from "@im/config";
import { openRoutes } from "@im/http";
import { z } from "zod";
import { allRoutes } from "./routes.js";

/** Routes anyone may call without an access token: probes, the API document, and avatars (public pictures). */
export const defaultPublicRoutes = [
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /openapi.json",
  "GET /v1/avatars/users/:userId",
  "GET /v1/avatars/rooms/:roomId",
];

const MiB = 1024 * 1024;
const bytes = (defaultMiB: number, maxBytes: number) => envInt(defaultMiB * MiB, 1, maxBytes);

/** A comma-separated list of avatar sizes in px (square), each 16..2048, at least one. */
const avatarSizes = z
  .union([z.array(z.number()), z.string()])
  .default("64,128,256,640")
  .transform((value, ctx) => {
    const items = Array.isArray(value)
      ? value
      : value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean)
          .map(Number);
    if (items.length === 0 || items.some((size) => !Number.isInteger(size) || size < 16 || size > 2048)) {
      ctx.addIssue({ code: "custom", message: "must be whole numbers of px between 16 and 2048, comma-separated" });
      return z.NEVER;
    }
    return [...new Set(items)].sort((a, b) => a - b);
  });

/** Every setting of the upload app, read from environment variables. Sizes are bytes. */
export const uploadConfigSchema = z.object({
  ...platformSettings,
  ...pushQueueSettings,
  ...mediaSettings,
  UPLOAD_HOST: z.string().default("0.0.0.0").describe("Address the HTTP server binds"),
  UPLOAD_PORT: envInt(8094, 0, 65535).describe("HTTP port; 0 picks a free port"),
  UPLOAD_PUBLIC_ROUTES: envList(defaultPublicRoutes).describe('Routes callable without a token, as "METHOD /path" (comma-separated)'),
  UPLOAD_VALIDATE_RESPONSES: envBoolean(false).describe("Check every JSON response against its OpenAPI schema (on in tests)"),
  UPLOAD_TRUST_PROXY: envInt(0, 0, 10).describe("How many reverse proxies (ingress) to trust for the client IP"),
  UPLOAD_MAX_IMAGE_BYTES: bytes(20, 1024 * MiB).describe("Largest image upload (types 2 and 5), bytes"),
  UPLOAD_MAX_VOICE_BYTES: bytes(10, 1024 * MiB).describe("Largest voice upload (type 3), bytes"),
  UPLOAD_MAX_VIDEO_BYTES: bytes(200, 64 * 1024 * MiB).describe("Largest video upload through the app (type 6), bytes"),
  UPLOAD_MAX_FILE_BYTES: bytes(200, 64 * 1024 * MiB).describe("Largest file upload through the app (type 9), bytes"),
  UPLOAD_MAX_AVATAR_BYTES: bytes(10, 1024 * MiB).describe("Largest avatar upload, bytes"),
  UPLOAD_MAX_VOICE_SECONDS: envInt(600, 1, 24 * 3600).describe(
    "Longest voice message (type 3), seconds: longer is UPLOAD_TOO_LARGE (a tiny silent AMR can declare hours)",
  ),
  UPLOAD_MAX_VIDEO_SECONDS: envInt(2 * 3600, 1, 7 * 24 * 3600).describe(
    "Longest video (type 6) uploaded through the app, seconds: longer (or a container declaring longer) is UPLOAD_TOO_LARGE",
  ),
  UPLOAD_MULTIPART_MAX_BYTES: envInt(5 * 1024 * MiB, 5 * MiB, 5 * 1024 * 1024 * MiB).describe(
    "Largest file or video uploaded by presigned multipart (straight to storage), bytes",
  ),
  UPLOAD_MULTIPART_MAX_OPEN: envInt(8, 1, 1_000).describe(
    "Multipart uploads one user may hold open at once (part URLs cannot bound what is PUT, so this bounds what a user can park in storage); past it RATE_LIMITED",
  ),
  UPLOAD_PRESIGN_TTL_SECONDS: envInt(300, 10, 7 * 24 * 3600).describe(
    "Lifetime of presigned download URLs (redirects); multipart part URLs live 12 times as long",
  ),
  UPLOAD_THUMB_MAX_PX: envInt(320, 32, 2048).describe("Longest side of image thumbnails and video posters, px"),
  UPLOAD_AVATAR_SIZES: avatarSizes.describe("Square sizes (px) every avatar is stored in; `?size=` picks the nearest larger"),
  UPLOAD_DOWNLOAD_MODE: z
    .enum(["redirect", "proxy"])
    .default("redirect")
    .describe("redirect: 302 to a presigned URL of the storage's public host; proxy: the app streams the bytes (Range supported)"),
  UPLOAD_TMP_DIR: z
    .string()
    .min(1)
    .default("/tmp/im-upload")
    .describe("Folder uploads are spooled to while processed (emptied per upload)"),
  UPLOAD_PROCESS_TIMEOUT_SECONDS: envInt(120, 1, 3600).describe("Longest processing (thumbnail, transcode, poster) of one upload"),
  UPLOAD_PART_SIZE_BYTES: envInt(16 * MiB, 5 * MiB, 512 * MiB).describe(
    "Part size of uploads the app streams to storage: the most memory one upload holds, bytes",
  ),
});

export type UploadConfig = z.output<typeof uploadConfigSchema>;

/** Reads and validates the upload app's configuration; a bad setting stops start-up with its name. */
export function loadUploadConfig(env: NodeJS.ProcessEnv = process.env): UploadConfig {
  const config = loadConfig(uploadConfigSchema, env, { ownPrefixes: ["UPLOAD_", "S3_", "MEDIA_"] });
  openRoutes(allRoutes, config.UPLOAD_PUBLIC_ROUTES, "UPLOAD_PUBLIC_ROUTES");
  return config;
}
