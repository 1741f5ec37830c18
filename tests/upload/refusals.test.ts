import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { after, before, beforeEach, describe, it } from "node:test";
import { fakeExecutable, makeJpeg } from "@im/testing";
import { errorOf } from "../support/client.js";
import { abortedUpload, allKeys, keysSettle, metricValue, postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

const MiB = 1024 * 1024;

describe("uploads: every bad input is refused with its code and leaves nothing behind", () => {
  let media: UploadStack;
  let alice: TestUser;
  let keysBefore: string[];
  let recordsBefore: number;

  before(async () => {
    media = await startUploadStack();
    alice = await registerUser(media.stack, media.api);
  });
  after(async () => {
    await media?.stop();
  });
  beforeEach(async () => {
    keysBefore = await allKeys(media);
    recordsBefore = await media.upload.deps.models.uploads.countDocuments();
  });

  const upload = (kind: string, bytes: Buffer, options: Parameters<typeof postForm>[4] = {}, token: string | undefined = alice.token) =>
    postForm(media.upload.url, `/v1/uploads?kind=${kind}`, token, bytes, options);

  async function expectRefused(reply: Awaited<ReturnType<typeof upload>>, status: number, key: string) {
    assert.equal(reply.status, status, JSON.stringify(reply.body));
    assert.equal(errorOf(reply).key, key);
    await keysSettle(media, keysBefore, "no object left behind");
    assert.equal(await media.upload.deps.models.uploads.countDocuments(), recordsBefore, "no record left behind");
    assert.deepEqual(await readdir(media.config.UPLOAD_TMP_DIR), [], "no temp file left behind");
  }

  it("refuses an empty file of every kind (UPLOAD_EMPTY)", async () => {
    for (const kind of ["image", "voice", "video", "file"]) {
      await expectRefused(await upload(kind, Buffer.alloc(0)), 400, "UPLOAD_EMPTY");
    }
    const empty = await postForm(media.upload.url, "/v1/avatars/users/me", alice.token, Buffer.alloc(0));
    await expectRefused(empty, 400, "UPLOAD_EMPTY");
  });

  it("refuses a file over its kind's limit, streamed or declared (UPLOAD_TOO_LARGE, 413)", async () => {
    const before = await metricValue(media, "im_uploads_total", { kind: "image", outcome: "refused" });
    await expectRefused(await upload("image", randomBytes(2 * MiB + 1)), 413, "UPLOAD_TOO_LARGE");
    await expectRefused(await upload("voice", randomBytes(1 * MiB + 10)), 413, "UPLOAD_TOO_LARGE");
    // A file over the limit after parts went to storage: the multipart upload is aborted.
    await expectRefused(await upload("file", randomBytes(12 * MiB + 1)), 413, "UPLOAD_TOO_LARGE");
    await expectRefused(await upload("image", randomBytes(100), { size: 3 * MiB }), 413, "UPLOAD_TOO_LARGE");
    assert.equal(await metricValue(media, "im_uploads_total", { kind: "image", outcome: "refused" }), before + 2);
    const exactly = await upload("file", randomBytes(12 * MiB));
    assert.equal(exactly.status, 201, "the limit itself is allowed");
  });

  it("refuses bytes of a type the kind does not allow, and renamed executables (UPLOAD_TYPE_NOT_ALLOWED, 415)", async () => {
    const elf = fakeExecutable();
    await expectRefused(await upload("image", elf, { name: "cat.jpg", contentType: "image/jpeg" }), 415, "UPLOAD_TYPE_NOT_ALLOWED");
    await expectRefused(await upload("voice", elf, { name: "v.amr" }), 415, "UPLOAD_TYPE_NOT_ALLOWED");
    await expectRefused(
      await upload("video", await makeJpeg({ width: 20, height: 20 }), { name: "v.mp4" }),
      415,
      "UPLOAD_TYPE_NOT_ALLOWED",
    );
    await expectRefused(await upload("file", elf, { name: "invoice.pdf" }), 415, "UPLOAD_TYPE_NOT_ALLOWED");
    await expectRefused(await upload("image", Buffer.from("just some text, not a picture")), 415, "UPLOAD_TYPE_NOT_ALLOWED");
    const honest = await upload("file", elf, { name: "tool" });
    assert.equal(honest.status, 201, "an executable under its own name is a file like any other");
  });

  it("refuses a file whose declared size differs from what arrived (UPLOAD_TRUNCATED)", async () => {
    const jpeg = await makeJpeg({ width: 50, height: 50 });
    await expectRefused(await upload("image", jpeg, { size: jpeg.length + 1 }), 400, "UPLOAD_TRUNCATED");
    await expectRefused(await upload("file", randomBytes(6 * MiB), { size: 6 * MiB + 5 }), 400, "UPLOAD_TRUNCATED");
    await expectRefused(await upload("file", randomBytes(100), { size: 99 }), 400, "UPLOAD_TRUNCATED");
  });

  it("drops an upload whose client went away mid-stream (no object, counted as refused)", async () => {
    const before = await metricValue(media, "im_uploads_total", { kind: "file", outcome: "refused" });
    await abortedUpload(media.upload.url, "/v1/uploads?kind=file", alice.token, 10 * MiB, 7 * MiB);
    await abortedUpload(media.upload.url, "/v1/uploads?kind=image", alice.token, 1 * MiB, 100_000);
    for (let i = 0; i < 50; i++) {
      if ((await metricValue(media, "im_uploads_total", { kind: "file", outcome: "refused" })) > before) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await metricValue(media, "im_uploads_total", { kind: "file", outcome: "refused" }), before + 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await keysSettle(media, keysBefore, "no object left behind");
    assert.equal(await media.upload.deps.models.uploads.countDocuments(), recordsBefore);
    assert.deepEqual(await readdir(media.config.UPLOAD_TMP_DIR), [], "the spooled part is deleted");
  });

  it("refuses bytes that claim a type but do not decode (MEDIA_UNREADABLE)", async () => {
    const jpeg = await makeJpeg({ width: 400, height: 300 });
    const broken = Buffer.concat([jpeg.subarray(0, 200), randomBytes(3000)]);
    await expectRefused(await upload("image", broken), 400, "MEDIA_UNREADABLE");
  });

  it("refuses a form without a file part, a non-form body, and an unknown kind", async () => {
    const form = new FormData();
    form.append("name", "nothing.txt");
    const noFile = await fetch(`${media.upload.url}/v1/uploads?kind=file`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${alice.token}` },
    });
    assert.equal(noFile.status, 400);
    assert.equal(((await noFile.json()) as { error: { key: string } }).error.key, "VALIDATION_FAILED");
    const text = await fetch(`${media.upload.url}/v1/uploads?kind=file`, {
      method: "POST",
      body: "plain",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "text/plain" },
    });
    assert.equal(text.status, 415);
    await expectRefused(await upload("avatar", randomBytes(10)), 400, "VALIDATION_FAILED");
    await expectRefused(await postForm(media.upload.url, "/v1/uploads?kind=image", undefined, randomBytes(10)), 401, "TOKEN_MISSING");
  });
});
