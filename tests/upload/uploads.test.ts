import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { exifHasGps, makeAmr, makeAnimatedGif, makeJpeg, makeMp4, makePng } from "@im/testing";
import sharp from "sharp";
import { errorOf } from "../support/client.js";
import { Rooms } from "../support/rooms.js";
import { allKeys, metricValue, postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import { registerUser, type TestUser } from "../support/users.js";

interface UploadView {
  uploadId: string;
  kind: string;
  size: number;
  contentType: string;
  name: string;
  width?: number;
  height?: number;
  duration?: number;
  url: string;
  thumbUrl?: string;
  createTime: number;
  expireTime: number | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Follows a download the way a client does: the app's 302, then the presigned URL. */
async function download(url: string, token: string, init: RequestInit = {}): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const first = await fetch(url, { ...init, redirect: "manual", headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  if (first.status !== 302) return { status: first.status, bytes: Buffer.from(await first.arrayBuffer()), headers: first.headers };
  const location = first.headers.get("location") ?? "";
  const second = await fetch(location);
  return { status: second.status, bytes: Buffer.from(await second.arrayBuffer()), headers: second.headers };
}

describe("uploads: every kind stored, processed, viewed, downloaded, deleted", () => {
  let media: UploadStack;
  let alice: TestUser;
  let bob: TestUser;
  let stranger: TestUser;

  before(async () => {
    media = await startUploadStack();
    [alice, bob, stranger] = [
      await registerUser(media.stack, media.api),
      await registerUser(media.stack, media.api),
      await registerUser(media.stack, media.api),
    ];
  });
  after(async () => {
    await media?.stop();
  });

  const upload = (user: TestUser, kind: string, bytes: Buffer, options: Parameters<typeof postForm>[4] = {}) =>
    postForm<UploadView>(media.upload.url, `/v1/uploads?kind=${kind}`, user.token, bytes, options);

  it("stores an image with its thumbnail, orientation applied and the EXIF location stripped", async () => {
    const jpeg = await makeJpeg({ width: 1200, height: 600, orientation: 6, gps: true });
    assert.ok(exifHasGps(jpeg), "the fixture carries a location");
    const reply = await upload(alice, "image", jpeg, { name: "holiday.jpg", size: jpeg.length });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const view = reply.body;
    assert.equal(view.kind, "image");
    assert.equal(view.contentType, "image/jpeg");
    assert.equal(view.name, "holiday.jpg");
    assert.deepEqual([view.width, view.height], [600, 1200], "displayed orientation");
    assert.equal(view.url, `${media.config.MEDIA_PUBLIC_URL}/v1/media/${view.uploadId}`);
    assert.equal(view.thumbUrl, `${view.url}/thumb`);
    assert.equal(view.expireTime, null, "fileValidTime -1: kept");

    const original = await download(view.url, alice.token);
    assert.equal(original.status, 200);
    assert.equal(original.bytes.length, view.size);
    assert.equal(exifHasGps(original.bytes), false, "no location in what is served");
    const thumb = await download(view.thumbUrl as string, alice.token);
    assert.equal(thumb.status, 200);
    const meta = await sharp(thumb.bytes).metadata();
    assert.equal(meta.format, "jpeg");
    assert.equal(Math.max(meta.width ?? 0, meta.height ?? 0), media.config.UPLOAD_THUMB_MAX_PX);
    assert.ok((meta.height ?? 0) > (meta.width ?? 0), "the thumbnail is upright too");

    const keys = await allKeys(media);
    assert.ok(
      keys.some((key) => /^media\/\d{4}\/\d{2}\/[0-9a-f]{32}$/.test(key)),
      keys.join(),
    );
    assert.ok(
      keys.some((key) => /^thumbs\/\d{4}\/\d{2}\/[0-9a-f]{32}\.jpg$/.test(key)),
      keys.join(),
    );
    assert.ok(!keys.some((key) => key.includes("holiday")), "keys never carry client names");
  });

  it("keeps an animated GIF animated and a PNG as PNG", async () => {
    const gif = await upload(alice, "image", await makeAnimatedGif({ frames: 3 }), { filename: "a.gif" });
    assert.equal(gif.status, 201, JSON.stringify(gif.body));
    assert.equal(gif.body.contentType, "image/gif");
    const bytes = (await download(gif.body.url, alice.token)).bytes;
    assert.equal((await sharp(bytes).metadata()).pages, 3);
    const png = await upload(alice, "image", await makePng({ width: 50, height: 40, alpha: true }));
    assert.equal(png.status, 201, JSON.stringify(png.body));
    assert.equal(png.body.contentType, "image/png");
    assert.deepEqual([png.body.width, png.body.height], [50, 40]);
  });

  it("transcodes AMR voice to MP3 with its duration", async () => {
    const amr = await makeAmr({ seconds: 2 });
    const reply = await upload(alice, "voice", amr, { name: "voice.amr" });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.contentType, "audio/mpeg");
    assert.ok(Math.abs((reply.body.duration ?? 0) - 2000) < 200, `duration ${reply.body.duration}`);
    assert.equal(reply.body.thumbUrl, undefined);
    const mp3 = await download(reply.body.url, alice.token);
    assert.equal(mp3.status, 200);
    assert.equal(mp3.headers.get("content-type"), "audio/mpeg");
    assert.ok(mp3.bytes.subarray(0, 3).toString("latin1") === "ID3" || (mp3.bytes[0] === 0xff && ((mp3.bytes[1] ?? 0) & 0xe0) === 0xe0));
  });

  it("keeps a video as uploaded, with a poster frame, its size and duration", async () => {
    const mp4 = await makeMp4({ seconds: 2, width: 320, height: 240 });
    const reply = await upload(alice, "video", mp4, { name: "clip.mp4" });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.contentType, "video/mp4");
    assert.deepEqual([reply.body.width, reply.body.height], [320, 240]);
    assert.ok(Math.abs((reply.body.duration ?? 0) - 2000) < 300, `duration ${reply.body.duration}`);
    assert.equal(reply.body.size, mp4.length);
    const original = await download(reply.body.url, alice.token);
    assert.deepEqual(original.bytes, mp4);
    const poster = await download(reply.body.thumbUrl as string, alice.token);
    assert.equal((await sharp(poster.bytes).metadata()).format, "jpeg");
  });

  it("streams a file straight to storage (several parts), keeps its name for display, serves it as an attachment", async () => {
    const bytes = Buffer.concat([Buffer.from("%PDF-1.4\n"), randomBytes(11 * 1024 * 1024)]);
    const reply = await upload(alice, "file", bytes, { name: "../../etc/passwd", size: bytes.length });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.name, "passwd", "path parts stripped");
    assert.equal(reply.body.contentType, "application/pdf");
    assert.equal(reply.body.size, bytes.length);
    const got = await download(reply.body.url, alice.token);
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals(bytes));
    assert.match(got.headers.get("content-disposition") ?? "", /passwd/);
    const stored = (await allKeys(media)).filter((key) => key.includes("passwd") || key.includes("etc"));
    assert.deepEqual(stored, []);
  });

  it("cleans names: control characters, bidi overrides and overlong names", async () => {
    const reply = await upload(alice, "file", Buffer.from("hello"), { name: `C:\\x\\evil\u202Egpj.exe\u0007${"a".repeat(300)}.txt` });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.ok(![...reply.body.name].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === "\u202e"));
    assert.ok(reply.body.name.startsWith("evilgpj.exe"));
    assert.ok(reply.body.name.endsWith(".txt"));
    assert.equal([...reply.body.name].length, 200);
    assert.equal(reply.body.contentType, "application/octet-stream", "plain text is not sniffed as anything");
  });

  it("shows an upload only to who may see it; strangers get 404 as for an unknown id", async () => {
    const reply = await upload(alice, "image", await makeJpeg({ width: 100, height: 80 }));
    const view = reply.body;
    const own = await media.files.get<UploadView>(`/v1/uploads/${view.uploadId}`, alice.token);
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, view);
    for (const path of [`/v1/uploads/${view.uploadId}`, `/v1/media/${view.uploadId}`, `/v1/media/${view.uploadId}/thumb`]) {
      const denied = await media.files.get(path, stranger.token);
      assert.equal(denied.status, 404, path);
      assert.equal(errorOf(denied).key, "UPLOAD_NOT_FOUND");
      const unknown = await media.files.get(path.replace(view.uploadId, "0".repeat(32)), stranger.token);
      assert.deepEqual([unknown.status, errorOf(unknown).key], [404, "UPLOAD_NOT_FOUND"]);
    }
    const anonymous = await fetch(`${media.upload.url}/v1/media/${view.uploadId}`, { redirect: "manual" });
    assert.equal(anonymous.status, 401);
    const byQuery = await fetch(`${media.upload.url}/v1/media/${view.uploadId}?access_token=${alice.token}`, { redirect: "manual" });
    assert.equal(byQuery.status, 302);
    assert.ok((await metricValue(media, "im_media_downloads_total", { variant: "original", outcome: "denied" })) >= 1);
    assert.ok((await metricValue(media, "im_media_downloads_total", { variant: "original", outcome: "not_found" })) >= 1);
  });

  it("serves a room's shared file to its members only (the access rule of @im/media)", async () => {
    const rooms = new Rooms(media.stack, media.api);
    const [owner, member, outsider] = await rooms.users(3);
    const roomId = await rooms.room(owner, [member]);
    const reply = await upload(owner, "file", Buffer.from("minutes of the meeting"), { name: "minutes.txt" });
    const uploadId = reply.body.uploadId;
    assert.equal((await download(reply.body.url, member.token)).status, 404, "not shared yet");
    await media.upload.deps.models.roomShares.create({
      _id: "f".repeat(32),
      roomId,
      uploadId,
      userId: owner.userId,
      name: "minutes.txt",
      size: reply.body.size,
      contentType: reply.body.contentType,
      time: Date.now(),
    });
    const got = await download(reply.body.url, member.token);
    assert.equal(got.status, 200);
    assert.equal(got.bytes.toString(), "minutes of the meeting");
    assert.equal((await media.files.get(`/v1/uploads/${uploadId}`, member.token)).status, 200);
    assert.equal((await download(reply.body.url, outsider.token)).status, 404);
    assert.equal((await media.files.delete(`/v1/uploads/${uploadId}`, member.token)).status, 404, "seeing is not owning");
  });

  it("an owner's delete takes the file out of every room (402 stored in the room) and ends every grant", async () => {
    const rooms = new Rooms(media.stack, media.api);
    const [owner, member] = await rooms.users(2);
    const roomId = await rooms.room(owner, [member]);
    const reply = await upload(owner, "file", Buffer.from("agenda for the offsite"), { name: "agenda.txt" });
    const uploadId = reply.body.uploadId;
    const shared = await media.api.post<{ shareId: string }>(`/v1/rooms/${roomId}/files`, { uploadId }, owner.token);
    assert.equal(shared.status, 201, JSON.stringify(shared.body));
    const models = media.upload.deps.models;
    await models.mediaGrants.create({
      _id: `g_${roomId}:m-1`,
      uploadId,
      conversationId: `g_${roomId}`,
      messageId: "m-1",
      fromUserId: owner.userId,
      createTime: Date.now(),
    });
    assert.equal((await download(reply.body.url, member.token)).status, 200);

    assert.equal((await media.files.delete(`/v1/uploads/${uploadId}`, owner.token)).status, 204);
    assert.equal(await models.roomShares.countDocuments({ uploadId }), 0, "no room lists it");
    assert.equal(await models.mediaGrants.countDocuments({ uploadId }), 0, "no grant names it");
    const listed = await media.api.get<{ items: unknown[] }>(`/v1/rooms/${roomId}/files`, member.token);
    assert.deepEqual(listed.body.items, []);
    const history = await media.api.get<{ messages: Array<{ type: number; content: string }> }>(
      `/v1/conversations/g_${roomId}/messages`,
      member.token,
    );
    const deletes = history.body.messages
      .filter((m) => m.type === 402)
      .map((m) => JSON.parse(m.content) as { shareId: string; operator: number });
    assert.deepEqual(
      deletes.map((d) => [d.shareId, d.operator]),
      [[shared.body.shareId, owner.userId]],
    );
    assert.equal((await download(reply.body.url, member.token)).status, 404);
  });

  it("redirects to a short-lived URL signed for the public S3 host", async () => {
    const reply = await upload(alice, "file", Buffer.from("x".repeat(100)), { name: "a.txt" });
    const first = await fetch(reply.body.url, { redirect: "manual", headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(first.status, 302);
    assert.equal(first.headers.get("cache-control"), "private, no-store");
    const location = new URL(first.headers.get("location") ?? "");
    assert.equal(location.host, `localhost:${media.s3.port}`);
    assert.equal(location.searchParams.get("X-Amz-Expires"), String(media.config.UPLOAD_PRESIGN_TTL_SECONDS));
    assert.ok((await metricValue(media, "im_media_downloads_total", { variant: "original", outcome: "redirect" })) >= 1);
  });

  it("proxies with Range: 206 with Content-Range, 416 past the end, 200 without Range", async () => {
    const bytes = randomBytes(1000);
    const reply = await upload(alice, "file", bytes, { name: "blob.bin" });
    const proxied = `${reply.body.url}?proxy=1`;
    const whole = await download(proxied, alice.token);
    assert.equal(whole.status, 200);
    assert.ok(whole.bytes.equals(bytes));
    assert.equal(whole.headers.get("accept-ranges"), "bytes");
    assert.match(whole.headers.get("content-disposition") ?? "", /^attachment/);
    const part = await download(proxied, alice.token, { headers: { range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), "bytes 100-199/1000");
    assert.ok(part.bytes.equals(bytes.subarray(100, 200)));
    const suffix = await download(proxied, alice.token, { headers: { range: "bytes=-10" } });
    assert.equal(suffix.status, 206);
    assert.ok(suffix.bytes.equals(bytes.subarray(990)));
    const open = await download(proxied, alice.token, { headers: { range: "bytes=995-" } });
    assert.equal(open.headers.get("content-range"), "bytes 995-999/1000");
    const beyond = await download(proxied, alice.token, { headers: { range: "bytes=1000-" } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), "bytes */1000");
    assert.ok((await metricValue(media, "im_media_downloads_total", { variant: "original", outcome: "proxied" })) >= 1);
  });

  it("deduplicates identical bytes across users; deleting one reference keeps the other's bytes", async () => {
    const jpeg = await makeJpeg({ width: 300, height: 200 });
    const keysBefore = await allKeys(media);
    const first = await upload(alice, "image", jpeg);
    const second = await upload(bob, "image", jpeg);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.notEqual(first.body.uploadId, second.body.uploadId);
    const keysAfter = await allKeys(media);
    assert.equal(keysAfter.length, keysBefore.length + 2, "one original and one thumbnail for both uploads");
    assert.ok((await metricValue(media, "im_uploads_total", { kind: "image", outcome: "deduplicated" })) >= 1);

    const bobCannot = await media.files.delete(`/v1/uploads/${first.body.uploadId}`, bob.token);
    assert.deepEqual([bobCannot.status, errorOf(bobCannot).key], [404, "UPLOAD_NOT_FOUND"], "only the owner deletes");
    const deleted = await media.files.delete(`/v1/uploads/${first.body.uploadId}`, alice.token);
    assert.equal(deleted.status, 204);
    assert.equal((await media.files.get(`/v1/uploads/${first.body.uploadId}`, alice.token)).status, 404);
    const bobs = await download(second.body.url, bob.token);
    assert.equal(bobs.status, 200, "Bob's bytes survive Alice's delete");
    assert.equal((await download(second.body.thumbUrl as string, bob.token)).status, 200);
    assert.deepEqual(await allKeys(media), keysAfter);

    assert.equal((await media.files.delete(`/v1/uploads/${second.body.uploadId}`, bob.token)).status, 204);
    assert.deepEqual(await allKeys(media), keysBefore, "the last reference takes the bytes with it");
    assert.equal((await media.files.delete(`/v1/uploads/${second.body.uploadId}`, bob.token)).status, 404);
  });

  it("sets expireTime from the client config's fileValidTime (days)", async () => {
    const models = media.stack.api.deps.models;
    await models.clientConfig.updateOne({ _id: "client" }, { $set: { "values.fileValidTime": 3 } });
    try {
      const reply = await upload(alice, "file", Buffer.from("expiring"), { name: "e.txt" });
      assert.equal(reply.status, 201);
      assert.equal(reply.body.expireTime, reply.body.createTime + 3 * DAY_MS);
      const stored = await models.uploads.findById(reply.body.uploadId).lean();
      assert.equal(stored?.expireTime, reply.body.expireTime);
    } finally {
      await models.clientConfig.updateOne({ _id: "client" }, { $set: { "values.fileValidTime": -1 } });
    }
  });

  it("emits every contract metric on /metrics", async () => {
    const text = await (await fetch(`${media.upload.url}/metrics`)).text();
    for (const name of [
      "im_uploads_total",
      "im_upload_bytes_total",
      "im_media_processing_seconds_bucket",
      "im_storage_errors_total",
      "im_media_downloads_total",
    ]) {
      assert.match(text, new RegExp(`^${name}\\{`, "m"), name);
    }
    assert.ok((await metricValue(media, "im_uploads_total", { kind: "image", outcome: "stored" })) >= 3);
    assert.ok((await metricValue(media, "im_upload_bytes_total", { kind: "file" })) > 11 * 1024 * 1024);
    assert.ok((await metricValue(media, "im_media_processing_seconds_count", { step: "thumbnail" })) >= 1);
    assert.ok((await metricValue(media, "im_media_processing_seconds_count", { step: "transcode" })) >= 1);
  });

  it("serves its own health, readiness and OpenAPI document", async () => {
    assert.equal((await media.files.get("/healthz")).status, 200);
    const ready = await media.files.get("/readyz");
    assert.deepEqual(ready.body, { status: "ready", mongo: "ok", redis: "ok", storage: "ok" });
    const doc = await media.files.get<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json");
    for (const path of [
      "/v1/uploads",
      "/v1/uploads/{uploadId}",
      "/v1/media/{uploadId}",
      "/v1/media/{uploadId}/thumb",
      "/v1/uploads/multipart",
      "/v1/uploads/multipart/{uploadId}/complete",
      "/v1/uploads/multipart/{uploadId}",
      "/v1/avatars/users/me",
      "/v1/avatars/rooms/{roomId}",
      "/v1/avatars/users/{userId}",
    ]) {
      assert.ok(doc.body.paths[path], path);
    }
  });
});
