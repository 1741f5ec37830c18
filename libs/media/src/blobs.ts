import type { MediaBlobDoc, Models, UploadDoc, UploadKind } from "@im/data";
import { type Redis, withLocks } from "@im/infra";
import { AppError } from "@im/protocol";
import type { ObjectStorage } from "./storage.js";

/**
 * Content-addressed storage with reference counting (issue 11 §1 "deduplication"). Identical bytes are
 * stored once, as a `media_blobs` record whose `_id` is the content id; every user's upload of them is an
 * `uploads` record pointing at it (`blobId`). The blob's objects go when its last upload goes.
 *
 * Attaching and deleting run under the blob's Redis lock `im:blob:<contentId>` (FerretDB has no
 * transactions): so a delete that finds no other reference cannot remove the objects an attach is about
 * to reuse, and an attach cannot reuse a blob a delete is removing.
 */

/** What blob operations use. */
export interface BlobDeps {
  models: Pick<Models, "uploads" | "mediaBlobs">;
  redis: Redis;
  storage: Pick<ObjectStorage, "removeObjects" | "abortMultipart">;
}

/** The Redis lock of one blob. */
export const blobLockKey = (contentId: string): string => `im:blob:${contentId}`;

/** How long a blob lock lives if its holder dies (ms); removing objects happens inside. */
const LOCK_TTL_MS = 30_000;

/**
 * The content id of bytes uploaded through the app, from the SHA-256 (hex) of the bytes the client sent:
 * `sha256:<hex>` for files (stored as sent), `sha256:<hex>:<kind>` for kinds the app processes (the stored
 * objects depend on the processing, so an image upload never reuses a file upload's unprocessed bytes).
 * Multipart uploads use `s3etag:<etag>:<size>` (multipartContentId).
 */
export function contentIdOf(kind: UploadKind, sha256Hex: string): string {
  return kind === "file" ? `sha256:${sha256Hex}` : `sha256:${sha256Hex}:${kind}`;
}

/** The content id of a completed multipart upload: its multipart ETag and size (bytes). */
export function multipartContentId(etag: string, size: number): string {
  return `s3etag:${etag}:${size}`;
}

/** Bytes just stored under fresh keys and hashed: the candidate blob. */
export interface NewBlob {
  /** contentIdOf / multipartContentId. */
  contentId: string;
  key: string;
  /** Bytes of the stored object. */
  size: number;
  contentType: string;
  width?: number | undefined;
  height?: number | undefined;
  /** ms. */
  duration?: number | undefined;
  thumbKey?: string | undefined;
}

/** The fields of an upload record that do not come from its blob. */
export interface UploadFields {
  _id: string;
  ownerId: number;
  kind: UploadKind;
  /** Display name (sanitised by the caller). */
  name: string;
  /** epoch ms. */
  createTime: number;
  /** epoch ms; null = kept until deleted. */
  expireTime: number | null;
}

/** An upload record as stored (plain object). */
export type UploadRecord = UploadDoc & { _id: string };

function blobFields(blob: MediaBlobDoc) {
  return {
    blobId: blob._id,
    key: blob.key,
    size: blob.size,
    contentType: blob.contentType,
    ...(blob.width != null ? { width: blob.width } : {}),
    ...(blob.height != null ? { height: blob.height } : {}),
    ...(blob.duration != null ? { duration: blob.duration } : {}),
    ...(blob.thumbKey ? { thumbKey: blob.thumbKey } : {}),
  };
}

const isDuplicateKey = (error: unknown) => (error as { code?: unknown } | null)?.code === 11000;

/**
 * Records an upload of bytes just stored under new keys (`candidate`). When a blob with the same content id
 * exists, the new objects are deleted and the upload points at the existing blob (deduplicated); otherwise
 * the candidate becomes the blob (a unique `_id` insert decides a race). The upload record is written under
 * the same lock: inserted, or, with `pending: true`, the pending multipart record of `upload._id` turns ready.
 * Throws UPLOAD_NOT_FOUND when that pending record is gone (aborted meanwhile; nothing is left behind),
 * LockBusyError when the lock stays taken, and what the stores throw.
 */
export async function attachBlob(
  deps: BlobDeps,
  candidate: NewBlob,
  upload: UploadFields,
  options: { pending?: boolean } = {},
): Promise<{ upload: UploadRecord; deduplicated: boolean }> {
  const newKeys = [candidate.key, candidate.thumbKey ?? ""];
  return withLocks(
    deps.redis,
    [blobLockKey(candidate.contentId)],
    async () => {
      let blob = (await deps.models.mediaBlobs.findById(candidate.contentId).lean()) as MediaBlobDoc | null;
      let deduplicated = blob !== null;
      if (!blob) {
        const fresh = {
          _id: candidate.contentId,
          key: candidate.key,
          size: candidate.size,
          contentType: candidate.contentType,
          width: candidate.width,
          height: candidate.height,
          duration: candidate.duration,
          thumbKey: candidate.thumbKey,
          createTime: upload.createTime,
        };
        try {
          await deps.models.mediaBlobs.create(fresh);
          blob = fresh as MediaBlobDoc;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          blob = (await deps.models.mediaBlobs.findById(candidate.contentId).lean()) as MediaBlobDoc | null;
          if (!blob) throw error;
          deduplicated = true;
        }
      }
      const record = { ...upload, status: "ready" as const, ...blobFields(blob) };
      if (options.pending) {
        const updated = await deps.models.uploads.updateOne(
          { _id: upload._id, status: "pending" },
          { $set: record, $unset: { multipart: 1 } },
        );
        if (updated.matchedCount === 0) {
          if (deduplicated) await deps.storage.removeObjects(newKeys);
          else if (!(await deps.models.uploads.exists({ blobId: blob._id }))) {
            await deps.models.mediaBlobs.deleteOne({ _id: blob._id });
            await deps.storage.removeObjects(newKeys);
          }
          throw new AppError("UPLOAD_NOT_FOUND");
        }
      } else {
        await deps.models.uploads.create(record);
      }
      // The duplicate objects go once the record is written: had they gone first, a failed write (503) would have
      // left a pending multipart upload with neither its storage upload nor its object, so no retry could complete
      // it. Removing them is best effort now that the upload is recorded (the callers' own cleanup may follow).
      if (deduplicated) await deps.storage.removeObjects(newKeys).catch(() => undefined);
      return { upload: record as UploadRecord, deduplicated };
    },
    { ttlMs: LOCK_TTL_MS, waitMs: 10_000 },
  );
}

/**
 * Deletes an upload (its owner's DELETE, the scheduler's expiry): the upload's record, and its blob's
 * objects and record when no other upload references the blob. A pending multipart upload's storage
 * upload is aborted. Idempotent and resumable: the upload record goes last, so a run that died midway is
 * finished by the next; a second run finds nothing to do. Returns whether the bytes were removed (false
 * while others still reference them). Throws LockBusyError when the blob's lock stays taken, and what the stores throw.
 */
export async function deleteUpload(
  deps: BlobDeps,
  upload: Pick<UploadDoc, "blobId" | "key" | "thumbKey" | "multipart"> & { _id: string },
): Promise<{ bytesRemoved: boolean }> {
  if (!upload.blobId) {
    // Pending multipart upload: no blob yet, only the open storage upload (and whatever it completed into).
    if (upload.multipart?.storageUploadId) await deps.storage.abortMultipart(upload.key, upload.multipart.storageUploadId);
    await deps.storage.removeObjects([upload.key]);
    await deps.models.uploads.deleteOne({ _id: upload._id });
    return { bytesRemoved: true };
  }
  const blobId = upload.blobId;
  return withLocks(
    deps.redis,
    [blobLockKey(blobId)],
    async () => {
      const shared = await deps.models.uploads.exists({ blobId, _id: { $ne: upload._id } });
      let bytesRemoved = false;
      if (!shared) {
        const blob = (await deps.models.mediaBlobs.findById(blobId).lean()) as MediaBlobDoc | null;
        // The blob record first: from then on an attach makes a new blob instead of reusing these objects.
        await deps.models.mediaBlobs.deleteOne({ _id: blobId });
        await deps.storage.removeObjects([upload.key, upload.thumbKey ?? "", blob?.key ?? "", blob?.thumbKey ?? ""]);
        bytesRemoved = true;
      }
      await deps.models.uploads.deleteOne({ _id: upload._id });
      return { bytesRemoved };
    },
    { ttlMs: LOCK_TTL_MS, waitMs: 10_000 },
  );
}
