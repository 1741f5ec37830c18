import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { roomVersionKey, userVersionKey } from "@im/data";
import { isOwnAvatarUrl } from "@im/media";
import { fakeExecutable, makeJpeg, makePng } from "@im/testing";
import sharp from "sharp";
import { errorOf } from "../support/client.js";
import { Rooms } from "../support/rooms.js";
import { allKeys, metricValue, postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import type { TestUser } from "../support/users.js";

interface AvatarReply {
  avatarUrl: string;
  version: number;
}

describe("avatars of users and rooms", () => {
  let media: UploadStack;
  let rooms: Rooms;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let roomId: string;

  before(async () => {
    media = await startUploadStack({ UPLOAD_AVATAR_SIZES: "64,128,256" });
    rooms = new Rooms(media.stack, media.api);
    [owner, admin, member] = await rooms.users(3);
    roomId = await rooms.room(owner, [admin, member]);
    const promoted = await rooms.putMember(owner, roomId, admin.userId, { role: 2 });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
  });
  after(async () => {
    await media?.stop();
  });

  const post = (path: string, user: TestUser, bytes: Buffer) => postForm<AvatarReply>(media.upload.url, path, user.token, bytes);

  /** Fetches a public avatar URL (no token), following the redirect; returns the picture's px. */
  async function fetchAvatar(url: string): Promise<{ status: number; width?: number; height?: number }> {
    const first = await fetch(url, { redirect: "manual" });
    if (first.status !== 302) return { status: first.status };
    const second = await fetch(first.headers.get("location") ?? "");
    const meta = await sharp(Buffer.from(await second.arrayBuffer())).metadata();
    return { status: second.status, width: meta.width ?? 0, height: meta.height ?? 0 };
  }

  it("sets a user's avatar in every size, versioned, served publicly by ?size=", async () => {
    const redis = media.upload.deps.redis;
    const tokenBefore = await redis.get(userVersionKey(owner.userId));
    const reply = await post("/v1/avatars/users/me", owner, await makeJpeg({ width: 800, height: 500 }));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.avatarUrl, `${media.config.MEDIA_PUBLIC_URL}/v1/avatars/users/${owner.userId}?v=${reply.body.version}`);
    assert.ok(isOwnAvatarUrl(media.config.MEDIA_PUBLIC_URL, reply.body.avatarUrl));
    const user = await media.upload.deps.models.users.findOne({ userId: owner.userId }).lean();
    assert.equal(user?.avatarUrl, reply.body.avatarUrl, "the user's avatarUrl is set");
    assert.notEqual(await redis.get(userVersionKey(owner.userId)), tokenBefore, "the user's cache version changed");

    const keys = (await allKeys(media)).filter((key) => key.startsWith(`avatars/users/${owner.userId}/`));
    assert.deepEqual(keys, [64, 128, 256].map((size) => `avatars/users/${owner.userId}/${reply.body.version}/${size}.jpg`).sort());
    assert.deepEqual(await fetchAvatar(reply.body.avatarUrl), { status: 200, width: 256, height: 256 }, "largest by default");
    assert.deepEqual(await fetchAvatar(`${reply.body.avatarUrl}&size=100`), { status: 200, width: 128, height: 128 });
    assert.deepEqual(await fetchAvatar(`${reply.body.avatarUrl}&size=64`), { status: 200, width: 64, height: 64 });
    assert.deepEqual(await fetchAvatar(`${reply.body.avatarUrl}&size=1000`), { status: 200, width: 256, height: 256 });
    const proxied = await fetch(`${reply.body.avatarUrl}&size=64&proxy=1`);
    assert.equal(proxied.status, 200);
    assert.equal(proxied.headers.get("content-type"), "image/jpeg");

    const next = await post("/v1/avatars/users/me", owner, await makePng({ width: 300, height: 300 }));
    assert.equal(next.status, 200);
    assert.equal(next.body.version, reply.body.version + 1);
    const after = (await allKeys(media)).filter((key) => key.startsWith(`avatars/users/${owner.userId}/`));
    assert.ok(
      after.every((key) => key.startsWith(`avatars/users/${owner.userId}/${next.body.version}/`)),
      "the old version is removed",
    );
    assert.ok((await metricValue(media, "im_media_downloads_total", { variant: "avatar", outcome: "redirect" })) >= 4);
    assert.ok((await metricValue(media, "im_uploads_total", { kind: "avatar", outcome: "stored" })) >= 2);
  });

  it("answers 404 for someone without an uploaded avatar", async () => {
    const none = await fetch(`${media.upload.url}/v1/avatars/users/${member.userId}`, { redirect: "manual" });
    assert.equal(none.status, 404);
    const unknownRoom = await fetch(`${media.upload.url}/v1/avatars/rooms/${"a".repeat(32)}`, { redirect: "manual" });
    assert.equal(unknownRoom.status, 404);
  });

  it("lets a room's owner and admins set its avatar, not its members", async () => {
    const redis = media.upload.deps.redis;
    const tokenBefore = await redis.get(roomVersionKey(roomId));
    const jpeg = await makeJpeg({ width: 200, height: 200 });
    const denied = await post(`/v1/avatars/rooms/${roomId}`, member, jpeg);
    assert.deepEqual([denied.status, errorOf(denied).key], [403, "ROOM_PERMISSION_DENIED"]);
    const byAdmin = await post(`/v1/avatars/rooms/${roomId}`, admin, jpeg);
    assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
    assert.equal(byAdmin.body.avatarUrl, `${media.config.MEDIA_PUBLIC_URL}/v1/avatars/rooms/${roomId}?v=${byAdmin.body.version}`);
    const byOwner = await post(`/v1/avatars/rooms/${roomId}`, owner, jpeg);
    assert.equal(byOwner.status, 200);
    assert.equal(byOwner.body.version, byAdmin.body.version + 1);
    const room = await media.upload.deps.models.rooms.collection.findOne({ roomId });
    assert.equal(room?.avatarUrl, byOwner.body.avatarUrl);
    assert.notEqual(await redis.get(roomVersionKey(roomId)), tokenBefore, "the room's cache version changed");
    assert.deepEqual(await fetchAvatar(`${byOwner.body.avatarUrl}&size=128`), { status: 200, width: 128, height: 128 });
    const missing = await post(`/v1/avatars/rooms/${"b".repeat(32)}`, owner, jpeg);
    assert.deepEqual([missing.status, errorOf(missing).key], [404, "ROOM_NOT_FOUND"]);
  });

  it("refuses avatars that are not pictures, and leaves nothing behind", async () => {
    const keysBefore = await allKeys(media);
    const refused = await post("/v1/avatars/users/me", member, fakeExecutable());
    assert.deepEqual([refused.status, errorOf(refused).key], [415, "UPLOAD_TYPE_NOT_ALLOWED"]);
    const tooLarge = await post("/v1/avatars/users/me", member, Buffer.alloc(2 * 1024 * 1024 + 1, 1));
    assert.deepEqual([tooLarge.status, errorOf(tooLarge).key], [413, "UPLOAD_TOO_LARGE"]);
    assert.deepEqual(await allKeys(media), keysBefore);
    const user = await media.upload.deps.models.users.findOne({ userId: member.userId }).lean();
    assert.equal(user?.avatarUrl ?? "", "");
  });
});
