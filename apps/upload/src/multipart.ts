import { withLocks } from "@im/infra";
import {
  attachBlob,
  deleteUpload,
  MAX_PARTS,
  MIN_PART_SIZE,
  multipartContentId,
  newMediaKey,
  randomId,
  type UploadRecord,
} from "@im/media";
import { AppError } from "@im/protocol";
import { fileTypeFromBuffer } from "file-type";
import type { UploadDeps } from "./context.js";
import { displayName } from "./ingest.js";
import { checkRenamedExecutable, countUpload, expireTimeFor, isRefusal } from "./uploads.js";

/**
 * Presigned multipart uploads (OpenIM's way for large files): the client PUTs the parts straight to the
 * storage's public host with URLs the app signs, so neither the ingress nor the app carries the bytes.
 * The upload stays `pending` (never shareable, never listed) until `complete` checks it.
 */

const MiB = 1024 * 1024;
/** How long a pending multipart upload lives before the expiry job removes it (ms). */
export const PENDING_TTL_MS = 24 * 60 * 60 * 1000;
const md5sKey = (uploadId: string) => `im:upload:md5s:${uploadId}`;
const uploadLockKey = (uploadId: string) => `im:upload:${uploadId}`;

/**
 * The part size for `size` bytes: at least 5 MiB (S3's minimum), whole MiB, and large enough that at most
 * 10,000 parts are needed.
 */
export function choosePartSize(size: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  return Math.max(MIN_PART_SIZE, Math.ceil(needed / MiB) * MiB);
}

/** The client's request to start a multipart upload. */
export interface MultipartInit {
  kind: "file" | "video";
  /** Bytes of the whole file. */
  size: number;
  name: string;
  /** MD5 (hex) of each part as the client will send it, in order: checked at complete. */
  partMd5s?: string[] | undefined;
}

/** Starts a multipart upload: records it pending and returns the presigned part URLs. */
export async function initMultipart(deps: UploadDeps, ownerId: number, input: MultipartInit) {
  if (input.size > deps.config.UPLOAD_MULTIPART_MAX_BYTES) throw new AppError("UPLOAD_TOO_LARGE");
  // Part URLs cannot bound what a client PUTs (presigned PUTs sign no length), so what one user can park in
  // storage is bounded by how many multipart uploads they may hold open at once (each aborted by the
  // scheduler after a day): past UPLOAD_MULTIPART_MAX_OPEN, RATE_LIMITED until one completes or is aborted.
  const open = await deps.models.uploads.countDocuments({ ownerId, status: "pending" });
  if (open >= deps.config.UPLOAD_MULTIPART_MAX_OPEN) throw new AppError("RATE_LIMITED", { retryAfterSeconds: 60 });
  const partSize = choosePartSize(input.size);
  const partCount = Math.ceil(input.size / partSize);
  if (input.partMd5s && input.partMd5s.length !== partCount) {
    throw new AppError("MULTIPART_INVALID", {
      issues: [{ field: "partMd5s", message: `${partCount} parts of ${partSize} bytes are expected` }],
    });
  }
  const createTime = Date.now();
  const uploadId = randomId();
  const key = newMediaKey(new Date(createTime));
  const storageUploadId = await deps.storage.initMultipart(key, "application/octet-stream");
  const ttlSeconds = deps.config.UPLOAD_PRESIGN_TTL_SECONDS * 12;
  try {
    if (input.partMd5s) {
      await deps.redis.set(md5sKey(uploadId), JSON.stringify(input.partMd5s.map((md5) => md5.toLowerCase())), "PX", PENDING_TTL_MS);
    }
    await deps.models.uploads.create({
      _id: uploadId,
      ownerId,
      kind: input.kind,
      status: "pending",
      key,
      size: input.size,
      contentType: "application/octet-stream",
      name: displayName(input.name),
      multipart: { storageUploadId, partSize, partCount },
      createTime,
      // An abandoned upload is removed by the expiry job a day later.
      expireTime: createTime + PENDING_TTL_MS,
    });
  } catch (error) {
    await deps.storage.abortMultipart(key, storageUploadId).catch(() => undefined);
    throw error;
  }
  const parts = [];
  for (let partNumber = 1; partNumber <= partCount; partNumber++) {
    parts.push({ partNumber, url: await deps.storage.presignPart(key, storageUploadId, partNumber, ttlSeconds) });
  }
  return { uploadId, partSize, parts, expiresAt: createTime + ttlSeconds * 1000 };
}

async function pendingOf(deps: UploadDeps, ownerId: number, uploadId: string): Promise<UploadRecord> {
  const upload = (await deps.models.uploads.findById(uploadId).lean()) as UploadRecord | null;
  if (!upload || upload.ownerId !== ownerId || upload.status !== "pending" || !upload.multipart?.storageUploadId) {
    throw new AppError("UPLOAD_NOT_FOUND");
  }
  return upload;
}

/** Video types a multipart video may have (sniffed from its first bytes). */
const videoTypes = new Set(["video/mp4", "video/x-m4v", "video/quicktime", "video/webm"]);

/**
 * Completes a multipart upload: every part 1..n must be there with its expected size (MULTIPART_INVALID
 * otherwise; the client may still send the missing parts), each part's ETag must equal the MD5 the client
 * declared at init (UPLOAD_CHECKSUM_MISMATCH otherwise: the upload is removed), and the type sniffed from
 * the first bytes must fit the kind (UPLOAD_TYPE_NOT_ALLOWED: removed). The content id is the multipart
 * ETag and size, for deduplication. Runs under the upload's Redis lock (complete and abort exclude each other).
 */
export async function completeMultipart(deps: UploadDeps, ownerId: number, uploadId: string): Promise<UploadRecord> {
  let kind: "file" | "video" = "file";
  try {
    const result = await withLocks(
      deps.redis,
      [uploadLockKey(uploadId)],
      async () => {
        const upload = await pendingOf(deps, ownerId, uploadId);
        kind = upload.kind as "file" | "video";
        // A complete that joined the parts and then failed (the record write: 503) leaves the object and no
        // storage upload: a retry picks up from the object, whose parts were checked before they were joined.
        const joined = await deps.storage.statObject(upload.key);
        const etag = joined ? joined.etag : await joinParts(deps, upload);
        if (joined && joined.size !== upload.size) {
          await removePending(deps, upload);
          throw new AppError("UPLOAD_NOT_FOUND");
        }
        let contentType = "application/octet-stream";
        try {
          const head = await readHead(deps, upload.key);
          const sniffed = await fileTypeFromBuffer(head);
          if (kind === "video") {
            if (!sniffed || !videoTypes.has(sniffed.mime)) throw new AppError("UPLOAD_TYPE_NOT_ALLOWED");
            contentType = sniffed.mime;
          } else {
            checkRenamedExecutable(sniffed?.mime, upload.name ?? "");
            if (sniffed && !["application/xml", "text/html", "application/xhtml+xml", "image/svg+xml"].includes(sniffed.mime)) {
              contentType = sniffed.mime;
            }
          }
          const createTime = upload.createTime;
          const attached = await attachBlob(
            deps,
            { contentId: multipartContentId(etag, upload.size), key: upload.key, size: upload.size, contentType },
            {
              _id: upload._id,
              ownerId: upload.ownerId,
              kind,
              name: upload.name ?? "",
              createTime,
              expireTime: await expireTimeFor(deps, createTime),
            },
            { pending: true },
          );
          await deps.redis.del(md5sKey(uploadId));
          return attached;
        } catch (error) {
          if (isRefusal(error) && !(error instanceof AppError && error.key === "UPLOAD_NOT_FOUND")) {
            await deps.storage.removeObjects([upload.key]);
            await deps.models.uploads.deleteOne({ _id: upload._id, status: "pending" });
          }
          throw error;
        }
      },
      { ttlMs: 60_000, waitMs: 10_000 },
    );
    countUpload(deps, kind, result.deduplicated ? "deduplicated" : "stored", result.upload.size);
    return result.upload;
  } catch (error) {
    // An incomplete upload may still be completed; only final refusals count.
    if (
      !(error instanceof AppError && error.key === "MULTIPART_INVALID") &&
      !(error instanceof AppError && error.key === "UPLOAD_NOT_FOUND")
    ) {
      countUpload(deps, kind, isRefusal(error) ? "refused" : "failed");
    }
    throw error;
  }
}

/**
 * Checks a pending upload's parts (all there, sized as announced, the declared MD5s) and joins them into the
 * object; returns its multipart ETag. Throws MULTIPART_INVALID (the client may still send parts) and
 * UPLOAD_CHECKSUM_MISMATCH (the upload is removed).
 */
async function joinParts(deps: UploadDeps, upload: UploadRecord): Promise<string> {
  const uploadId = upload._id;
  const { storageUploadId, partSize, partCount } = upload.multipart as { storageUploadId: string; partSize: number; partCount: number };
  const parts = await deps.storage.listParts(upload.key, storageUploadId);
  const expectedSize = (partNumber: number) => (partNumber < partCount ? partSize : upload.size - partSize * (partCount - 1));
  const complete =
    parts.length === partCount &&
    parts.every((part, index) => part.partNumber === index + 1 && part.size === expectedSize(part.partNumber));
  if (!complete) {
    throw new AppError("MULTIPART_INVALID", {
      issues: [
        {
          field: "parts",
          message: `${partCount} parts expected (${partSize} bytes each but the last); ${parts.length} uploaded`,
        },
      ],
    });
  }
  const declared = await deps.redis.get(md5sKey(uploadId));
  if (declared) {
    const md5s = JSON.parse(declared) as string[];
    if (parts.some((part, index) => part.etag.toLowerCase() !== md5s[index])) {
      await removePending(deps, upload);
      throw new AppError("UPLOAD_CHECKSUM_MISMATCH");
    }
  }
  return (await deps.storage.completeMultipart(upload.key, storageUploadId, parts)).etag;
}

async function readHead(deps: UploadDeps, key: string): Promise<Buffer> {
  const stream = await deps.storage.getObject(key, { start: 0, end: 4099 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function removePending(deps: UploadDeps, upload: UploadRecord): Promise<void> {
  await deleteUpload(deps, upload);
  await deps.redis.del(md5sKey(upload._id));
}

/** Aborts the caller's pending multipart upload: the storage drops the parts; the record goes. */
export async function abortMultipart(deps: UploadDeps, ownerId: number, uploadId: string): Promise<void> {
  await withLocks(deps.redis, [uploadLockKey(uploadId)], async () => {
    const upload = await pendingOf(deps, ownerId, uploadId);
    await removePending(deps, upload);
  });
}
