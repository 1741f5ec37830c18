import { RoomStatus, type UploadDoc } from "@im/data";
import { type BlobDeps, deleteUpload, type ObjectStorage } from "@im/media";
import type { Counter } from "@im/telemetry";
import type { JobContext, JobSpec } from "./context.js";

export const MEDIA_EXPIRY_JOB = "media-expiry";

/** What one media-expiry run did. */
export interface MediaExpiryResult {
  /** Expired uploads whose record and bytes are gone (last reference of their blob). */
  deleted: number;
  /** Expired uploads whose record is gone while their bytes stay (another upload shares the blob). */
  released: number;
  /** Abandoned multipart uploads aborted and removed. */
  abandoned: number;
  /** Expired uploads kept because a room shares them as a group file (shiku_room_share). */
  shared: number;
  /** Uploads whose deletion threw (logged; the next run retries them). */
  failed: number;
}

/** How the job runs (settings of apps/scheduler/src/config.ts). */
export interface MediaExpiryOptions {
  /** Uploads read and deleted per batch. */
  batchSize: number;
  /** A pending (multipart) upload older than this (ms since createTime) is abandoned. */
  pendingMaxAgeMs: number;
  /** The object storage (the S3_* settings). */
  storage: Pick<ObjectStorage, "removeObjects" | "abortMultipart">;
  /** `im_media_expired_total{outcome}`: deleted, released, abandoned, shared, failed. */
  counter?: Counter<"outcome">;
}

type UploadRow = Pick<UploadDoc, "kind" | "blobId" | "key" | "thumbKey" | "multipart" | "expireTime" | "createTime"> & { _id: string };

/**
 * Pages through `filter` ordered by (`field`, _id) in batches of `batchSize`, resuming after the last row of the
 * previous batch (keyset paging): rows a batch leaves in place (kept, failed) are not read again in this run.
 */
async function* pages(context: JobContext, filter: Record<string, unknown>, field: "expireTime" | "createTime", batchSize: number) {
  let after: { value: number; id: string } | undefined;
  for (;;) {
    const resume = after ? { $or: [{ [field]: { $gt: after.value } }, { [field]: after.value, _id: { $gt: after.id } }] } : {};
    const batch = (await context.models.uploads
      .find({ ...filter, ...resume }, { kind: 1, blobId: 1, key: 1, thumbKey: 1, multipart: 1, expireTime: 1, createTime: 1 })
      .sort({ [field]: 1, _id: 1 })
      .limit(batchSize)
      .lean()) as UploadRow[];
    if (batch.length === 0) return;
    yield batch;
    const last = batch[batch.length - 1];
    if (!last || batch.length < batchSize) return;
    after = { value: Number(last[field]), id: last._id };
  }
}

/**
 * Enforces `fileValidTime` (issue 11 §3; the seed's expiry of chat media): every ready upload whose expireTime
 * (set by the upload app from the client config's fileValidTime days; null = forever) is ≤ `now`, avatars
 * excepted, is deleted through @im/media `deleteUpload` — its grants (media_grants) first, then its record, and
 * its blob's objects once no other upload references them (so bytes another user's live upload shares stay).
 * An upload a room shares as a group file is kept while the share exists (the group file list owns it) and
 * the room is not deleted.
 * Then abandoned multipart uploads (pending, created more than pendingMaxAgeMs ago) are aborted in storage
 * and removed.
 *
 * Idempotent and resumable: every step deletes what is already expired, records last; a run cut short
 * (crash, storage down) leaves rows the next run finds again. One upload's failure is logged and counted,
 * the others go on; the run then throws so the job run is reported failed. Runs under the scheduler's Redis
 * guard, and deleteUpload holds the blob's Redis lock, so two schedulers (or an owner's DELETE) can race safely.
 */
export async function expireMedia(context: JobContext, options: MediaExpiryOptions, now = Date.now()): Promise<MediaExpiryResult> {
  const result: MediaExpiryResult = { deleted: 0, released: 0, abandoned: 0, shared: 0, failed: 0 };
  const deps: BlobDeps = { models: context.models, redis: context.redis, storage: options.storage };
  const count = (outcome: keyof MediaExpiryResult) => {
    result[outcome]++;
    options.counter?.inc({ outcome });
  };
  const failures: unknown[] = [];
  const fail = (upload: UploadRow, error: unknown) => {
    failures.push(error);
    count("failed");
    context.logger.warn({ err: error, uploadId: upload._id }, "media expiry: could not delete an upload");
  };

  const expired = { status: "ready", kind: { $ne: "avatar" }, expireTime: { $ne: null, $lte: now } };
  for await (const batch of pages(context, expired, "expireTime", options.batchSize)) {
    const shares = await context.models.roomShares.find({ uploadId: { $in: batch.map((u) => u._id) } }, { uploadId: 1, roomId: 1 }).lean();
    // A deleted room's shares keep nothing (a room deletion cut short may have left them).
    const gone = await context.models.rooms
      .find({ roomId: { $in: [...new Set(shares.map((share) => share.roomId))] }, status: RoomStatus.deleted }, { roomId: 1 })
      .lean();
    const deletedRooms = new Set(gone.map((room) => room.roomId));
    const sharedIds = new Set(shares.filter((share) => !deletedRooms.has(share.roomId)).map((share) => share.uploadId));
    for (const upload of batch) {
      if (sharedIds.has(upload._id)) {
        count("shared");
        continue;
      }
      try {
        await context.models.mediaGrants.deleteMany({ uploadId: upload._id });
        const { bytesRemoved } = await deleteUpload(deps, upload);
        count(bytesRemoved ? "deleted" : "released");
      } catch (error) {
        fail(upload, error);
      }
    }
    await context.checkpoint?.(MEDIA_EXPIRY_JOB, `expired:${batch.length}`);
  }

  const abandoned = { status: "pending", createTime: { $lte: now - options.pendingMaxAgeMs } };
  for await (const batch of pages(context, abandoned, "createTime", options.batchSize)) {
    for (const upload of batch) {
      try {
        if (await removeAbandoned(context, options.storage, upload)) count("abandoned");
      } catch (error) {
        fail(upload, error);
      }
    }
    await context.checkpoint?.(MEDIA_EXPIRY_JOB, `abandoned:${batch.length}`);
  }

  context.logger.info({ ...result }, "media expiry");
  if (failures.length > 0) throw new AggregateError(failures, `media expiry: ${failures.length} upload(s) could not be deleted`);
  return result;
}

/**
 * Removes one abandoned multipart upload, safe against its owner completing it at the same moment: the storage
 * upload is aborted first (a complete after that fails), then the record is deleted only while still pending
 * (a complete that won keeps its now-ready upload), then the object a complete may have made just before the
 * abort is removed — only by the run that deleted the record. A crash between steps is finished by the next run
 * (the record is still pending) or left to the complete, which cleans its own objects when it finds no pending
 * record. Returns false when the upload turned ready meanwhile.
 */
async function removeAbandoned(context: JobContext, storage: MediaExpiryOptions["storage"], upload: UploadRow): Promise<boolean> {
  if (upload.multipart?.storageUploadId) await storage.abortMultipart(upload.key, upload.multipart.storageUploadId);
  const removed = await context.models.uploads.deleteOne({ _id: upload._id, status: "pending" });
  if (removed.deletedCount === 0) return false;
  await storage.removeObjects([upload.key]);
  return true;
}

/** The media-expiry job: runs expireMedia every `periodSeconds`. */
export const mediaExpiryJob = (periodSeconds: number, options: MediaExpiryOptions): JobSpec => ({
  name: MEDIA_EXPIRY_JOB,
  periodSeconds,
  run: async (context) => {
    await expireMedia(context, options);
  },
});
