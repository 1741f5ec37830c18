import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createModels, type Models, syncIndexes } from "@im/data";
import { connectMongo, createRedis, type Redis } from "@im/infra";
import {
  attachBlob,
  type BlobDeps,
  blobLockKey,
  contentIdOf,
  createObjectStorage,
  deleteUpload,
  newMediaKey,
  newThumbKey,
  type ObjectStorage,
  randomId,
} from "@im/media";
import { type FerretDbServer, type RedisServer, type S3Server, startFerretDb, startRedis, startS3Server } from "@im/testing";
import type { Connection } from "mongoose";

describe("content-addressed blobs with reference counts", () => {
  let s3: S3Server;
  let mongoServer: FerretDbServer;
  let redisServer: RedisServer;
  let mongo: Connection;
  let redis: Redis;
  let models: Models;
  let storage: ObjectStorage;
  let deps: BlobDeps;

  before(async () => {
    [s3, mongoServer, redisServer] = await Promise.all([startS3Server(), startFerretDb(), startRedis()]);
    mongo = await connectMongo(mongoServer.urlFor("im_blobs"));
    redis = createRedis(redisServer.url, "blobs-test");
    models = createModels(mongo);
    await syncIndexes(models);
    storage = createObjectStorage({
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: "im-blobs-test",
      S3_ACCESS_KEY_ID: s3.accessKey,
      S3_SECRET_ACCESS_KEY: s3.secretKey,
    });
    await storage.ensureBucket();
    deps = { models, redis, storage };
  });
  after(async () => {
    await redis?.quit();
    await mongo?.close();
    await Promise.all([s3?.stop(), mongoServer?.stop(), redisServer?.stop()]);
  });

  /** Stores bytes under fresh keys (with a thumbnail) as the upload app does before attaching. */
  async function storeFresh(bytes: Buffer) {
    const key = newMediaKey();
    const thumbKey = newThumbKey();
    await storage.putStream(key, Readable.from([bytes]), bytes.length, "image/jpeg");
    await storage.putStream(thumbKey, Readable.from([Buffer.from("thumb")]), 5, "image/jpeg");
    return { key, thumbKey };
  }

  const fields = (ownerId: number) => ({
    _id: randomId(),
    ownerId,
    kind: "image" as const,
    name: "a.jpg",
    createTime: Date.now(),
    expireTime: null,
  });

  it("keeps one copy of identical bytes and deletes it with its last reference", async () => {
    const bytes = randomBytes(2000);
    const contentId = contentIdOf("image", randomBytes(32).toString("hex"));
    const first = await storeFresh(bytes);
    const a = await attachBlob(
      deps,
      { contentId, size: bytes.length, contentType: "image/jpeg", width: 10, height: 20, ...first },
      fields(1),
    );
    assert.equal(a.deduplicated, false);
    assert.equal(a.upload.key, first.key);
    assert.equal(a.upload.width, 10);

    const second = await storeFresh(bytes);
    const b = await attachBlob(
      deps,
      { contentId, size: bytes.length, contentType: "image/jpeg", width: 10, height: 20, ...second },
      fields(2),
    );
    assert.equal(b.deduplicated, true);
    assert.equal(b.upload.key, first.key, "the second upload points at the first copy");
    assert.equal(b.upload.thumbKey, first.thumbKey);
    assert.equal(await storage.statObject(second.key), undefined, "the duplicate objects are gone");
    assert.equal(await storage.statObject(second.thumbKey), undefined);

    assert.deepEqual(await deleteUpload(deps, a.upload), { bytesRemoved: false });
    assert.ok(await storage.statObject(first.key), "the other user's reference keeps the bytes");
    assert.equal(await models.uploads.exists({ _id: a.upload._id }), null);
    assert.deepEqual(await deleteUpload(deps, a.upload), { bytesRemoved: false }, "deleting twice changes nothing");

    assert.deepEqual(await deleteUpload(deps, b.upload), { bytesRemoved: true });
    assert.equal(await storage.statObject(first.key), undefined);
    assert.equal(await storage.statObject(first.thumbKey), undefined);
    assert.equal(await models.mediaBlobs.exists({ _id: contentId }), null);
    assert.equal(await models.uploads.exists({ _id: b.upload._id }), null);
    await deleteUpload(deps, b.upload); // idempotent
  });

  it("finishes a delete that died after the blob record went (resumable)", async () => {
    const bytes = randomBytes(300);
    const contentId = contentIdOf("file", randomBytes(32).toString("hex"));
    const stored = await storeFresh(bytes);
    const { upload } = await attachBlob(deps, { contentId, size: bytes.length, contentType: "image/jpeg", ...stored }, fields(3));
    await models.mediaBlobs.deleteOne({ _id: contentId }); // the first run stopped here
    assert.deepEqual(await deleteUpload(deps, upload), { bytesRemoved: true });
    assert.equal(await storage.statObject(stored.key), undefined);
    assert.equal(await models.uploads.exists({ _id: upload._id }), null);
  });

  it("never loses the bytes of an attach racing a delete of the last other reference", async () => {
    for (let round = 0; round < 8; round++) {
      const bytes = randomBytes(500);
      const contentId = contentIdOf("image", randomBytes(32).toString("hex"));
      const original = await storeFresh(bytes);
      const { upload: old } = await attachBlob(deps, { contentId, size: 500, contentType: "image/jpeg", ...original }, fields(4));
      const again = await storeFresh(bytes);
      const [attached] = await Promise.all([
        attachBlob(deps, { contentId, size: 500, contentType: "image/jpeg", ...again }, fields(5)),
        deleteUpload(deps, old),
      ]);
      const stat = await storage.statObject(attached.upload.key);
      assert.ok(stat, `round ${round}: the surviving upload's bytes exist (deduplicated: ${attached.deduplicated})`);
      const blob = await models.mediaBlobs.findById(contentId).lean();
      assert.equal(blob?.key, attached.upload.key);
      await deleteUpload(deps, attached.upload);
    }
  });

  it("waits for the blob's lock", async () => {
    const contentId = contentIdOf("image", randomBytes(32).toString("hex"));
    await redis.set(blobLockKey(contentId), "someone", "PX", 300);
    const stored = await storeFresh(randomBytes(10));
    const started = Date.now();
    await attachBlob(deps, { contentId, size: 10, contentType: "image/jpeg", ...stored }, fields(6));
    assert.ok(Date.now() - started >= 250);
  });

  it("turns a pending multipart record ready, or leaves nothing when it was aborted meanwhile", async () => {
    const pending = { ...fields(7), kind: "file" as const, status: "pending", key: newMediaKey(), size: 0, contentType: "application/zip" };
    await models.uploads.create({ ...pending, multipart: { storageUploadId: "x", partSize: 5, partCount: 1 } });
    const bytes = randomBytes(100);
    await storage.putStream(pending.key, Readable.from([bytes]), 100, "application/zip");
    const contentId = `s3etag:${randomBytes(16).toString("hex")}-1:100`;
    const { upload } = await attachBlob(deps, { contentId, key: pending.key, size: 100, contentType: "application/zip" }, pending, {
      pending: true,
    });
    const stored = await models.uploads.findById(upload._id).lean();
    assert.equal(stored?.status, "ready");
    assert.equal(stored?.blobId, contentId);
    assert.equal(stored?.multipart, undefined);

    const gone = { ...fields(7), _id: randomId() };
    const key = newMediaKey();
    await storage.putStream(key, Readable.from([bytes]), 100, "application/zip");
    const otherId = `s3etag:${randomBytes(16).toString("hex")}-1:100`;
    await assert.rejects(
      attachBlob(deps, { contentId: otherId, key, size: 100, contentType: "application/zip" }, gone, { pending: true }),
      /No such file/,
    );
    assert.equal(await storage.statObject(key), undefined);
    assert.equal(await models.mediaBlobs.exists({ _id: otherId }), null);
  });
});
