import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { makeMp4 } from "@im/testing";
import { errorOf } from "../support/client.js";
import { allKeys, metricValue, startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

const MiB = 1024 * 1024;

interface Init {
  uploadId: string;
  partSize: number;
  parts: { partNumber: number; url: string }[];
  expiresAt: number;
}

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");

function split(bytes: Buffer, partSize: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += partSize) parts.push(bytes.subarray(offset, offset + partSize));
  return parts;
}

describe("presigned multipart uploads", () => {
  let media: UploadStack;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    media = await startUploadStack({ UPLOAD_MULTIPART_MAX_BYTES: String(64 * MiB) });
    [alice, bob] = [await registerUser(media.stack, media.api), await registerUser(media.stack, media.api)];
  });
  after(async () => {
    await media?.stop();
  });

  async function init(user: TestUser, body: Record<string, unknown>) {
    return media.files.post<Init>("/v1/uploads/multipart", body, user.token);
  }

  async function putParts(initReply: Init, parts: Buffer[]) {
    for (const [index, part] of parts.entries()) {
      const target = initReply.parts[index];
      assert.ok(target);
      const url = new URL(target.url);
      assert.equal(url.host, `localhost:${media.s3.port}`, "part URLs are signed for the public host");
      const response = await fetch(target.url, { method: "PUT", body: new Uint8Array(part) });
      assert.equal(response.status, 200, await response.text());
    }
  }

  it("uploads a large file in parts straight to storage and completes it with checksums", async () => {
    const bytes = Buffer.concat([Buffer.from("PK\x03\x04"), randomBytes(11 * MiB)]);
    const parts = split(bytes, 5 * MiB);
    const reply = await init(alice, { kind: "file", size: bytes.length, name: "archive.zip", partMd5s: parts.map(md5) });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.partSize, 5 * MiB);
    assert.equal(reply.body.parts.length, 3);
    assert.ok(reply.body.expiresAt > Date.now());
    const pending = await media.files.get(`/v1/uploads/${reply.body.uploadId}`, alice.token);
    assert.equal(pending.status, 404, "a pending upload is not visible (nor shareable)");

    await putParts(reply.body, parts);
    const done = await media.files.post<{ uploadId: string; size: number; contentType: string; name: string; url: string }>(
      `/v1/uploads/multipart/${reply.body.uploadId}/complete`,
      {},
      alice.token,
    );
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.size, bytes.length);
    assert.equal(done.body.contentType, "application/zip");
    assert.equal(done.body.name, "archive.zip");
    const stored = await media.upload.deps.models.uploads.findById(reply.body.uploadId).lean();
    assert.equal(stored?.status, "ready");
    assert.match(stored?.blobId ?? "", /^s3etag:[0-9a-f]{32}-3:11534340$/);
    const first = await fetch(done.body.url, { redirect: "manual", headers: { authorization: `Bearer ${alice.token}` } });
    const got = Buffer.from(await (await fetch(first.headers.get("location") ?? "")).arrayBuffer());
    assert.ok(got.equals(bytes));

    // The same bytes again (another user): deduplicated onto the first object.
    const again = await init(bob, { kind: "file", size: bytes.length, name: "copy.zip", partMd5s: parts.map(md5) });
    await putParts(again.body, parts);
    const keysBefore = await allKeys(media);
    const second = await media.files.post(`/v1/uploads/multipart/${again.body.uploadId}/complete`, {}, bob.token);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const bobs = await media.upload.deps.models.uploads.findById(again.body.uploadId).lean();
    assert.equal(bobs?.key, stored?.key, "one object for both");
    assert.deepEqual(await allKeys(media), keysBefore, "the duplicate object was removed once completed");
    assert.ok((await metricValue(media, "im_uploads_total", { kind: "file", outcome: "deduplicated" })) >= 1);
  });

  it("refuses to complete with a missing part (MULTIPART_INVALID) and lets the client finish", async () => {
    const bytes = randomBytes(6 * MiB);
    const parts = split(bytes, 5 * MiB);
    const reply = await init(alice, { kind: "file", size: bytes.length, name: "x.bin" });
    await putParts(reply.body, parts.slice(0, 1));
    const early = await media.files.post(`/v1/uploads/multipart/${reply.body.uploadId}/complete`, {}, alice.token);
    assert.deepEqual([early.status, errorOf(early).key], [400, "MULTIPART_INVALID"]);
    const stranger = await media.files.post(`/v1/uploads/multipart/${reply.body.uploadId}/complete`, {}, bob.token);
    assert.deepEqual([stranger.status, errorOf(stranger).key], [404, "UPLOAD_NOT_FOUND"]);
    await putParts({ ...reply.body, parts: reply.body.parts.slice(1) }, parts.slice(1));
    const done = await media.files.post(`/v1/uploads/multipart/${reply.body.uploadId}/complete`, {}, alice.token);
    assert.equal(done.status, 200, JSON.stringify(done.body));
  });

  it("removes an upload whose parts do not match the declared MD5s (UPLOAD_CHECKSUM_MISMATCH)", async () => {
    const keysBefore = await allKeys(media);
    const bytes = randomBytes(7 * MiB);
    const parts = split(bytes, 5 * MiB);
    const declared = parts.map(md5);
    declared[1] = md5(Buffer.from("something else"));
    const reply = await init(alice, { kind: "file", size: bytes.length, name: "y.bin", partMd5s: declared });
    await putParts(reply.body, parts);
    const done = await media.files.post(`/v1/uploads/multipart/${reply.body.uploadId}/complete`, {}, alice.token);
    assert.deepEqual([done.status, errorOf(done).key], [400, "UPLOAD_CHECKSUM_MISMATCH"]);
    assert.equal(await media.upload.deps.models.uploads.exists({ _id: reply.body.uploadId }), null);
    assert.deepEqual(await allKeys(media), keysBefore, "no object left");
    const retry = await media.files.post(`/v1/uploads/multipart/${reply.body.uploadId}/complete`, {}, alice.token);
    assert.equal(retry.status, 404);
  });

  it("aborts an upload: its parts and record are gone, part URLs stop working", async () => {
    const keysBefore = await allKeys(media);
    const bytes = randomBytes(5 * MiB + 10);
    const parts = split(bytes, 5 * MiB);
    const reply = await init(alice, { kind: "video", size: bytes.length, name: "z.mp4" });
    await putParts({ ...reply.body, parts: reply.body.parts.slice(0, 1) }, parts.slice(0, 1));
    assert.equal(
      (await media.files.delete(`/v1/uploads/multipart/${reply.body.uploadId}`, bob.token)).status,
      404,
      "only the owner aborts",
    );
    assert.equal((await media.files.delete(`/v1/uploads/multipart/${reply.body.uploadId}`, alice.token)).status, 204);
    assert.equal((await media.files.delete(`/v1/uploads/multipart/${reply.body.uploadId}`, alice.token)).status, 404);
    const late = await fetch(reply.body.parts[1]?.url ?? "", { method: "PUT", body: new Uint8Array(parts[1] ?? Buffer.alloc(0)) });
    assert.notEqual(late.status, 200, "the storage no longer knows the upload");
    assert.equal(await media.upload.deps.models.uploads.exists({ _id: reply.body.uploadId }), null);
    assert.deepEqual(await allKeys(media), keysBefore);
  });

  it("checks a multipart video's type from its bytes, and the size limit", async () => {
    const mp4 = await makeMp4({ seconds: 1, width: 160, height: 120 });
    const ok = await init(alice, { kind: "video", size: mp4.length, name: "clip.mp4", partMd5s: [md5(mp4)] });
    assert.equal(ok.body.parts.length, 1);
    await putParts(ok.body, [mp4]);
    const done = await media.files.post<{ contentType: string }>(`/v1/uploads/multipart/${ok.body.uploadId}/complete`, {}, alice.token);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.contentType, "video/mp4");

    const keysBefore = await allKeys(media);
    const fake = randomBytes(1000);
    const bad = await init(alice, { kind: "video", size: fake.length, name: "fake.mp4" });
    await putParts(bad.body, [fake]);
    const refused = await media.files.post(`/v1/uploads/multipart/${bad.body.uploadId}/complete`, {}, alice.token);
    assert.deepEqual([refused.status, errorOf(refused).key], [415, "UPLOAD_TYPE_NOT_ALLOWED"]);
    assert.deepEqual(await allKeys(media), keysBefore);

    const tooLarge = await init(alice, { kind: "file", size: 64 * MiB + 1, name: "big" });
    assert.deepEqual([tooLarge.status, errorOf(tooLarge).key], [413, "UPLOAD_TOO_LARGE"]);
    const wrongCount = await init(alice, { kind: "file", size: 11 * MiB, name: "big", partMd5s: [md5(fake)] });
    assert.deepEqual([wrongCount.status, errorOf(wrongCount).key], [400, "MULTIPART_INVALID"]);
  });
});
