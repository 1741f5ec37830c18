import { randomBytes } from "node:crypto";
import type { Models, UploadKind } from "@im/data";

/** What an upload record may say; the rest gets plausible defaults. */
export interface UploadRecord {
  ownerId: number;
  kind: UploadKind;
  contentType?: string;
  size?: number;
  name?: string;
  width?: number;
  height?: number;
  duration?: number;
  thumb?: boolean;
  status?: "pending" | "ready";
  expireTime?: number | null;
}

/**
 * Inserts an `uploads` record as the upload app would after storing the bytes (data setup for tests that
 * need an upload without running the upload app: media messages, room files). Returns the upload id.
 */
export async function insertUpload(models: Models, record: UploadRecord): Promise<string> {
  const _id = randomBytes(16).toString("hex");
  const contentType =
    record.contentType ??
    { image: "image/jpeg", voice: "audio/mpeg", video: "video/mp4", file: "application/pdf", avatar: "image/jpeg" }[record.kind];
  await models.uploads.create({
    _id,
    ownerId: record.ownerId,
    kind: record.kind,
    status: record.status ?? "ready",
    blobId: `sha256:${randomBytes(32).toString("hex")}`,
    key: `media/test/${_id}`,
    size: record.size ?? 1234,
    contentType,
    name: record.name ?? "",
    ...(record.width !== undefined ? { width: record.width } : {}),
    ...(record.height !== undefined ? { height: record.height } : {}),
    ...(record.duration !== undefined ? { duration: record.duration } : {}),
    ...(record.thumb ? { thumbKey: `thumbs/test/${_id}.jpg` } : {}),
    createTime: Date.now(),
    expireTime: record.expireTime ?? null,
  });
  return _id;
}
