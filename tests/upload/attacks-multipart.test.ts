import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { errorOf } from "../support/client.js";
import { allKeys, postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

const MiB = 1024 * 1024;

interface Init {
  uploadId: string;
  partSize: number;
  parts: { partNumber: number; url: string }[];
}

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");

describe("upload attacks: multipart abuse, dedupe races, access", () => {
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

  const init = (user: TestUser, body: Record<string, unknown>) => media.files.post<Init>("/v1/uploads/multipart", body, user.token);
  const complete = (user: TestUser, id: string) => media.files.post(`/v1/uploads/multipart/${id}/complete`, {}, user.token);
  const put = async (url: string, bytes: Buffer) => {
    const response = await fetch(url, { method: "PUT", body: new Uint8Array(bytes) });
    await response.arrayBuffer();
    return response.status;
  };
  const download = async (user: TestUser, id: string) => {
    const res = await fetch(`${media.upload.url}/v1/media/${id}?proxy=1`, { headers: { authorization: `Bearer ${user.token}` } });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it("keeps a user's multipart upload theirs: another user cannot complete or abort it", async () => {
    const bytes = randomBytes(MiB);
    const started = await init(alice, { kind: "file", size: bytes.length, name: "a.bin" });
    assert.equal(started.status, 201);
    const id = started.body.uploadId;
    assert.equal(await put(started.body.parts[0]?.url as string, bytes), 200);
    assert.equal((await complete(bob, id)).status, 404);
    assert.equal((await media.files.delete(`/v1/uploads/multipart/${id}`, bob.token)).status, 404);
    const done = await complete(alice, id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    // Complete twice, abort after complete, a part URL reused after complete.
    assert.equal((await complete(alice, id)).status, 404);
    assert.equal((await media.files.delete(`/v1/uploads/multipart/${id}`, alice.token)).status, 404);
    assert.notEqual(await put(started.body.parts[0]?.url as string, randomBytes(MiB)), 200);
    assert.ok((await download(alice, id)).bytes.equals(bytes), "the stored bytes are unchanged");
  });

  it("refuses bad declarations: zero, negative, fractional, over the limit, too many MD5s", async () => {
    for (const size of [0, -1, 1.5, "12"]) assert.equal((await init(alice, { kind: "file", size, name: "x" })).status, 400, String(size));
    assert.equal((await init(alice, { kind: "file", size: 64 * MiB + 1, name: "x" })).status, 413);
    const many = Array.from({ length: 10_001 }, () => md5(Buffer.from("x")));
    assert.equal((await init(alice, { kind: "file", size: 10 * MiB, name: "x", partMd5s: many })).status, 400);
    assert.equal((await init(alice, { kind: "image", size: 10, name: "x" })).status, 400);
  });

  it("refuses to complete after an abort, and parts of the wrong size", async () => {
    const started = await init(alice, { kind: "file", size: 6 * MiB, name: "w.bin" });
    const [one, two] = started.body.parts;
    assert.equal(await put(one?.url as string, randomBytes(5 * MiB - 1)), 200);
    assert.equal(await put(two?.url as string, randomBytes(MiB + 1)), 200);
    const wrong = await complete(alice, started.body.uploadId);
    assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
    assert.equal(errorOf(wrong).key, "MULTIPART_INVALID");
    assert.equal((await media.files.delete(`/v1/uploads/multipart/${started.body.uploadId}`, alice.token)).status, 204);
    assert.equal((await complete(alice, started.body.uploadId)).status, 404);
  });

  it("lets the client retry a complete whose record write failed after storage completed", async () => {
    const bytes = randomBytes(2 * MiB);
    const started = await init(alice, { kind: "file", size: bytes.length, name: "retry.bin" });
    assert.equal(await put(started.body.parts[0]?.url as string, bytes), 200);
    const blobs = media.upload.deps.models.mediaBlobs;
    const original = blobs.create.bind(blobs);
    let failures = 0;
    (blobs as { create: unknown }).create = async (...args: unknown[]) => {
      if (failures++ === 0) throw Object.assign(new Error("connection reset"), { name: "MongoNetworkError" });
      return (original as (...a: unknown[]) => unknown)(...args);
    };
    try {
      const first = await complete(alice, started.body.uploadId);
      assert.equal(first.status, 503, JSON.stringify(first.body));
    } finally {
      (blobs as { create: unknown }).create = original;
    }
    const retry = await complete(alice, started.body.uploadId);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.ok((await download(alice, started.body.uploadId)).bytes.equals(bytes));
  });

  it("lets the client retry a deduplicated complete whose record write failed", async () => {
    const bytes = randomBytes(2 * MiB);
    const first = await init(bob, { kind: "file", size: bytes.length, name: "orig.bin" });
    assert.equal(await put(first.body.parts[0]?.url as string, bytes), 200);
    assert.equal((await complete(bob, first.body.uploadId)).status, 200);
    const started = await init(alice, { kind: "file", size: bytes.length, name: "dup.bin" });
    assert.equal(await put(started.body.parts[0]?.url as string, bytes), 200);
    const uploads = media.upload.deps.models.uploads;
    const original = uploads.updateOne.bind(uploads);
    let failures = 0;
    (uploads as { updateOne: unknown }).updateOne = async (...args: unknown[]) => {
      if (failures++ === 0) throw Object.assign(new Error("connection reset"), { name: "MongoNetworkError" });
      return (original as (...a: unknown[]) => unknown)(...args);
    };
    try {
      const failed = await complete(alice, started.body.uploadId);
      assert.equal(failed.status, 503, JSON.stringify(failed.body));
    } finally {
      (uploads as { updateOne: unknown }).updateOne = original;
    }
    const retry = await complete(alice, started.body.uploadId);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.ok((await download(alice, started.body.uploadId)).bytes.equals(bytes));
    const keys = await allKeys(media);
    const record = await uploads.findById(started.body.uploadId).lean();
    assert.ok(keys.includes(record?.key as string));
  });

  it("never loses a survivor's bytes when identical uploads and deletes race", async () => {
    for (let round = 0; round < 5; round++) {
      const bytes = randomBytes(300_000);
      const [a, b] = await Promise.all([
        postForm(media.upload.url, "/v1/uploads?kind=file", alice.token, bytes, { name: "same.bin" }),
        postForm(media.upload.url, "/v1/uploads?kind=file", bob.token, bytes, { name: "same.bin" }),
      ]);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      const aliceId = (a.body as { uploadId: string }).uploadId;
      // Alice deletes while Bob uploads the same bytes again.
      const [deleted, again] = await Promise.all([
        media.files.delete(`/v1/uploads/${aliceId}`, alice.token),
        postForm(media.upload.url, "/v1/uploads?kind=file", bob.token, bytes, { name: "again.bin" }),
      ]);
      assert.equal(deleted.status, 204);
      assert.equal(again.status, 201);
      for (const id of [(b.body as { uploadId: string }).uploadId, (again.body as { uploadId: string }).uploadId]) {
        const got = await download(bob, id);
        assert.equal(got.status, 200);
        assert.ok(got.bytes.equals(bytes), `round ${round}: Bob's bytes survive`);
      }
      const gone = await download(alice, aliceId);
      assert.equal(gone.status, 404);
    }
  });

  it("hides another user's upload on every route and for guessed ids", async () => {
    const reply = await postForm(media.upload.url, "/v1/uploads?kind=file", alice.token, randomBytes(1000), { name: "secret.bin" });
    const id = (reply.body as { uploadId: string }).uploadId;
    for (const path of [`/v1/uploads/${id}`, `/v1/media/${id}`, `/v1/media/${id}/thumb`, `/v1/media/${id}?proxy=1`]) {
      assert.equal((await media.files.get(path, bob.token)).status, 404, path);
    }
    assert.equal((await media.files.delete(`/v1/uploads/${id}`, bob.token)).status, 404);
    assert.equal((await media.files.get(`/v1/uploads/${"0".repeat(32)}`, bob.token)).status, 404);
    assert.equal((await media.files.get(`/v1/uploads/${id.toUpperCase()}`, bob.token)).status, 400);
    assert.equal((await media.files.get(`/v1/media/${id}`)).status, 401);
    const redirect = await fetch(`${media.upload.url}/v1/media/${id}`, {
      headers: { authorization: `Bearer ${alice.token}` },
      redirect: "manual",
    });
    const location = new URL(redirect.headers.get("location") as string);
    assert.equal(location.searchParams.get("X-Amz-Expires"), String(media.config.UPLOAD_PRESIGN_TTL_SECONDS));
    assert.equal((await media.files.get(`/v1/uploads/${id}`, alice.token)).status, 200);
    assert.deepEqual((await allKeys(media)).length > 0, true);
  });
});
