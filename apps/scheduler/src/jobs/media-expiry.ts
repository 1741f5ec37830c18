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
  /** Objects under media/ and thumbs/ that no upload or blob record names, older than orphanMinAgeMs: removed. */
  orphans: number;
  /** Uploads whose deletion threw (logged; the next run retries them). */
  failed: number;
}

/** How the job runs (settings of apps/scheduler/src/config.ts). */
export interface MediaExpiryOptions {
  /** Uploads read and deleted per batch. */
  batchSize: number;
  /** A pending (multipart) upload older than this (ms since createTime) is abandoned. */
  pendingMaxAgeMs: number;
  /** Objects no record names are removed once older than this (ms): an upload in progress has stored its bytes but not yet written its record. */
  orphanMinAgeMs: number;
  /** Most objects the orphan sweep examines per run; the next run goes on from where it stopped (Redis cursor). */
  orphanScanLimit: number;
  /** The object storage (the S3_* settings). */
  storage: Pick<ObjectStorage, "removeObjects" | "abortMultipart" | "listObjectsPage">;
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
  const result: MediaExpiryResult = { deleted: 0, released: 0, abandoned: 0, shared: 0, orphans: 0, failed: 0 };
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

  try {
    for (let i = await sweepOrphans(context, options, now); i > 0; i--) count("orphans");
  } catch (error) {
    failures.push(error);
    context.logger.warn({ err: error }, "media expiry: orphan sweep failed");
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

/** Where the orphan sweep goes on from (Redis): the last key it examined, empty when a pass is complete. */
export const ORPHAN_CURSOR_KEY = "im:media:orphan-cursor";

/** The prefixes of objects that upload and blob records name (avatars are versioned by their owners' URLs). */
const SWEPT_PREFIXES = ["media/", "thumbs/"] as const;

/**
 * Removes objects that no record names: bytes stored by an upload whose process died before it wrote its
 * record, or a cut PUT some S3 servers keep (versitygw). Examines at most `orphanScanLimit` objects per run
 * from the Redis cursor on (a pass over the whole bucket takes as many runs as it needs, then starts again),
 * and removes those older than `orphanMinAgeMs` that neither `uploads` nor `media_blobs` names (key or
 * thumbKey; both indexed). Returns how many it removed. Idempotent: a removed object is simply gone next time.
 */
async function sweepOrphans(context: JobContext, options: MediaExpiryOptions, now: number): Promise<number> {
  const cursor = (await context.redis.get(ORPHAN_CURSOR_KEY)) ?? "";
  const prefix = SWEPT_PREFIXES.find((p) => cursor.startsWith(p)) ?? SWEPT_PREFIXES[0];
  const page = await options.storage.listObjectsPage(prefix, cursor.startsWith(prefix) ? cursor : "", options.orphanScanLimit);
  const old = page.filter((object) => object.lastModified.getTime() <= now - options.orphanMinAgeMs).map((object) => object.key);
  const named = async (key: string) =>
    Boolean(
      (await context.models.uploads.exists({ $or: [{ key }, { thumbKey: key }] })) ||
        (await context.models.mediaBlobs.exists({ $or: [{ key }, { thumbKey: key }] })),
    );
  const orphans: string[] = [];
  for (const key of old) if (!(await named(key))) orphans.push(key);
  if (orphans.length > 0) await options.storage.removeObjects(orphans);
  // A full page: go on after its last key next time; else this prefix is done: the next one, or a new pass.
  const last = page[page.length - 1];
  const next = page.length >= options.orphanScanLimit && last ? last.key : (SWEPT_PREFIXES[SWEPT_PREFIXES.indexOf(prefix) + 1] ?? "");
  await context.redis.set(ORPHAN_CURSOR_KEY, next);
  if (orphans.length > 0) context.logger.info({ orphans: orphans.length }, "media expiry: orphan objects removed");
  return orphans.length;
}

/** The media-expiry job: runs expireMedia every `periodSeconds`. */
export const mediaExpiryJob = (periodSeconds: number, options: MediaExpiryOptions): JobSpec => ({
  name: MEDIA_EXPIRY_JOB,
  periodSeconds,
  run: async (context) => {
    await expireMedia(context, options);
  },
});
