import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import type { UploadKind } from "@im/data";
import { attachBlob, contentIdOf, newMediaKey, newThumbKey, type ObjectStorage, randomId } from "@im/media";
import {
  expireMedia,
  type JobContext,
  MEDIA_EXPIRY_JOB,
  type MediaExpiryOptions,
  ORPHAN_CURSOR_KEY,
  type RunningScheduler,
} from "@im/scheduler";
import { type S3Server, startS3Server } from "@im/testing";
import { type SchedulerStack, startSchedulerStack } from "./harness.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

describe("media expiry (fileValidTime)", () => {
  let stack: SchedulerStack;
  let s3: S3Server;
  let scheduler: RunningScheduler;
  let storage: ObjectStorage;
  let failAfter: string | undefined;
  const checkpoint: NonNullable<JobContext["checkpoint"]> = (job, step) => {
    if (job === MEDIA_EXPIRY_JOB && step === failAfter) {
      failAfter = undefined;
      throw new Error(`simulated crash after ${step}`);
    }
  };
  const context = (): JobContext => ({ ...scheduler.deps, checkpoint });
  const options = (batchSize = 200, orphans: { orphanMinAgeMs?: number; orphanScanLimit?: number } = {}): MediaExpiryOptions => ({
    batchSize,
    pendingMaxAgeMs: DAY_MS,
    orphanMinAgeMs: orphans.orphanMinAgeMs ?? DAY_MS,
    orphanScanLimit: orphans.orphanScanLimit ?? 1_000,
    storage,
  });

  before(async () => {
    [stack, s3] = await Promise.all([startSchedulerStack("im_media_expiry"), startS3Server()]);
    scheduler = await stack.start(
      {
        S3_ENDPOINT: s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: "im-expiry-test",
        S3_ACCESS_KEY_ID: s3.accessKey,
        S3_SECRET_ACCESS_KEY: s3.secretKey,
        SCHEDULER_MEDIA_EXPIRY_INTERVAL_SECONDS: "604800",
        SCHEDULER_MEDIA_EXPIRY_BATCH: "2",
      },
      { checkpoint },
    );
    storage = scheduler.deps.storage;
    await storage.ensureBucket();
  });
  after(async () => {
    await stack?.stop();
    await s3?.stop();
  });
  beforeEach(async () => {
    const { models } = scheduler.deps;
    await Promise.all([
      models.uploads.deleteMany({}),
      models.mediaBlobs.deleteMany({}),
      models.mediaGrants.deleteMany({}),
      models.roomShares.deleteMany({}),
    ]);
  });

  /** Stores fresh bytes (and a thumbnail) and records an upload of them, as the upload app does. */
  async function upload(kind: UploadKind, expireTime: number | null, bytes = randomBytes(64)) {
    const key = newMediaKey();
    const thumbKey = newThumbKey();
    await storage.putStream(key, Readable.from([bytes]), bytes.length, "image/jpeg");
    await storage.putStream(thumbKey, Readable.from([Buffer.from("thumb")]), 5, "image/jpeg");
    const contentId = contentIdOf(kind, sha256Hex(bytes));
    const { upload: record } = await attachBlob(
      scheduler.deps,
      { contentId, key, thumbKey, size: bytes.length, contentType: "image/jpeg" },
      { _id: randomId(), ownerId: 7, kind, name: "a.jpg", createTime: Date.now() - 10 * DAY_MS, expireTime },
    );
    return record;
  }

  const exists = async (id: string) => (await scheduler.deps.models.uploads.exists({ _id: id })) !== null;
  const stored = async (key: string | null | undefined) => typeof key === "string" && (await storage.statObject(key)) !== undefined;

  it("deletes expired chat media (objects, blob, grants, record); keeps fresh, forever, avatar, room-shared and shared bytes", async () => {
    const now = Date.now();
    const { models } = scheduler.deps;
    const expired = await upload("image", now - HOUR_MS);
    await models.mediaGrants.create({
      _id: `c:${randomId()}`,
      uploadId: expired._id,
      conversationId: "c",
      messageId: "m",
      fromUserId: 7,
      createTime: now,
    });
    const fresh = await upload("image", now + DAY_MS);
    const forever = await upload("file", null);
    const avatar = await upload("avatar", now - DAY_MS);
    const roomFile = await upload("file", now - DAY_MS);
    await models.roomShares.create({
      _id: randomId(),
      roomId: "r1",
      uploadId: roomFile._id,
      userId: 7,
      name: "f",
      size: 1,
      contentType: "x",
      time: now,
    });
    // Two users uploaded the same bytes: one upload expired, the other not.
    const bytes = randomBytes(100);
    const sharedExpired = await upload("voice", now - HOUR_MS, bytes);
    const sharedLive = await upload("voice", now + DAY_MS, bytes);
    assert.equal(sharedLive.key, sharedExpired.key, "deduplicated into one blob");

    const result = await expireMedia(context(), options(2), now);
    assert.deepEqual(result, { deleted: 1, released: 1, abandoned: 0, shared: 1, orphans: 0, failed: 0 });

    assert.equal(await exists(expired._id), false);
    assert.equal(await stored(expired.key), false);
    assert.equal(await stored(expired.thumbKey), false);
    assert.equal(await models.mediaBlobs.exists({ _id: expired.blobId }), null);
    assert.equal(await models.mediaGrants.countDocuments({ uploadId: expired._id }), 0);

    for (const kept of [fresh, forever, avatar, roomFile, sharedLive]) {
      assert.ok(await exists(kept._id), `${kept.kind} upload ${kept._id} kept`);
      assert.ok(await stored(kept.key), `${kept.kind} bytes kept`);
    }
    assert.equal(await exists(sharedExpired._id), false, "the expired reference is gone");
    assert.ok(await models.mediaBlobs.exists({ _id: sharedLive.blobId }), "the shared blob stays");

    assert.deepEqual(
      await expireMedia(context(), options(2), now),
      { deleted: 0, released: 0, abandoned: 0, shared: 1, orphans: 0, failed: 0 },
      "a second run does nothing",
    );
  });

  it("does not keep an expired upload for a share in a deleted room", async () => {
    const now = Date.now();
    const { models } = scheduler.deps;
    const roomFile = await upload("file", now - DAY_MS);
    const roomId = randomBytes(12).toString("hex");
    await models.rooms.collection.insertOne({ roomId, status: -1 } as never);
    await models.roomShares.create({
      _id: randomId(),
      roomId,
      uploadId: roomFile._id,
      userId: 7,
      name: "f",
      size: 1,
      contentType: "x",
      time: now,
    });
    const result = await expireMedia(context(), options(2), now);
    assert.equal(result.shared, 0);
    assert.equal(await exists(roomFile._id), false);
  });

  it("aborts and removes abandoned multipart uploads, keeps recent ones", async () => {
    const now = Date.now();
    const { models } = scheduler.deps;
    const pending = async (ageMs: number) => {
      const key = newMediaKey();
      const storageUploadId = await storage.initMultipart(key, "application/zip");
      const url = await storage.presignPart(key, storageUploadId, 1, 600);
      const put = await fetch(url, { method: "PUT", body: randomBytes(1000) });
      assert.equal(put.status, 200);
      const doc = {
        _id: randomId(),
        ownerId: 8,
        kind: "file" as const,
        status: "pending" as const,
        key,
        size: 0,
        contentType: "application/zip",
        multipart: { storageUploadId, partSize: 5 * 1024 * 1024, partCount: 1 },
        createTime: now - ageMs,
        expireTime: null,
      };
      await models.uploads.create(doc);
      return doc;
    };
    const abandoned = await pending(2 * DAY_MS);
    const recent = await pending(HOUR_MS);
    assert.equal((await storage.listParts(abandoned.key, abandoned.multipart.storageUploadId)).length, 1);

    assert.deepEqual(await expireMedia(context(), options(), now), {
      deleted: 0,
      released: 0,
      abandoned: 1,
      shared: 0,
      orphans: 0,
      failed: 0,
    });
    assert.equal(await exists(abandoned._id), false);
    const parts = await storage.listParts(abandoned.key, abandoned.multipart.storageUploadId).catch(() => []);
    assert.equal(parts.length, 0, "the storage upload is aborted");
    assert.ok(await exists(recent._id));
    assert.equal((await storage.listParts(recent.key, recent.multipart.storageUploadId)).length, 1, "a recent upload stays open");
    await storage.abortMultipart(recent.key, recent.multipart.storageUploadId);
  });

  it("resumes after a crash between batches and is safe with two runs at once", async () => {
    const now = Date.now();
    const uploads = await Promise.all(Array.from({ length: 5 }, () => upload("image", now - HOUR_MS)));
    failAfter = "expired:2";
    await assert.rejects(expireMedia(context(), options(2), now), /simulated crash/);
    const left = (await Promise.all(uploads.map((u) => exists(u._id)))).filter(Boolean).length;
    assert.equal(left, 3, "the first batch was deleted before the crash");

    // Two runs at once (two schedulers whose Redis guard was bypassed): the blob locks keep them consistent.
    const [a, b] = await Promise.all([expireMedia(context(), options(2), now), expireMedia(context(), options(2), now)]);
    assert.equal(a.failed + b.failed, 0);
    assert.ok(a.deleted + a.released + b.deleted + b.released >= 3);
    for (const u of uploads) {
      assert.equal(await exists(u._id), false);
      assert.equal(await stored(u.key), false);
      assert.equal(await stored(u.thumbKey), false);
    }
  });

  it("removes objects no record names once old enough (a died upload, a cut PUT), page by page, and nothing else", async () => {
    const named = await upload("file", null);
    const orphanKeys = [newMediaKey(), newMediaKey(), newThumbKey()];
    for (const key of orphanKeys) await storage.putStream(key, Readable.from([Buffer.from("orphan")]), 6, "application/octet-stream");
    await scheduler.deps.redis.del(ORPHAN_CURSOR_KEY);
    // Too young: an upload in progress has stored its bytes but not yet its record.
    const young = await expireMedia(context(), options(200, { orphanMinAgeMs: DAY_MS }), Date.now());
    assert.equal(young.orphans, 0);
    for (const key of orphanKeys) assert.ok(await stored(key), `${key} kept while young`);
    // Old enough, a page of two objects per run: the runs go on from the Redis cursor through the whole bucket.
    const left = async () => (await Promise.all(orphanKeys.map((key) => stored(key)))).filter(Boolean).length;
    let removed = 0;
    for (let run = 0; run < 200 && (await left()) > 0; run++) {
      removed += (await expireMedia(context(), options(200, { orphanMinAgeMs: 0, orphanScanLimit: 2 }), Date.now() + 1_000)).orphans;
    }
    assert.ok(removed >= orphanKeys.length, `${removed} removed`);
    for (const key of orphanKeys) assert.equal(await stored(key), false, `${key} removed`);
    assert.ok(await stored(named.key), "an upload's bytes stay");
    assert.ok(await stored(named.thumbKey), "its thumbnail stays");
  });

  it("runs as a guarded scheduler job, once per bucket", async () => {
    const expired = await upload("video", Date.now() - HOUR_MS);
    const first = await scheduler.runJob(MEDIA_EXPIRY_JOB);
    assert.equal(first.outcome, "ran", String(first.error));
    assert.equal(await exists(expired._id), false);
    assert.equal(await stored(expired.key), false);
    assert.equal((await scheduler.runJob(MEDIA_EXPIRY_JOB)).outcome, "done");
    const metrics = await (await fetch(`${scheduler.url}/metrics`)).text();
    assert.match(metrics, /im_media_expired_total\{outcome="deleted"[^}]*\} [1-9]/);
  });
});

function sha256Hex(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
