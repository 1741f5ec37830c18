import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makeJpeg } from "@im/testing";
import { errorOf } from "../support/client.js";
import { Rooms } from "../support/rooms.js";
import { postForm, startUploadStack, type UploadStack } from "../support/upload.js";
import type { TestUser } from "../support/users.js";

interface AvatarReply {
  avatarUrl: string;
  version: number;
}

describe("upload attacks: avatars", () => {
  let media: UploadStack;
  let rooms: Rooms;
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let roomId: string;
  let jpeg: Buffer;

  before(async () => {
    media = await startUploadStack(
      { UPLOAD_AVATAR_SIZES: "64,128", MEDIA_PUBLIC_URL: "http://media.test" },
      { MEDIA_PUBLIC_URL: "http://media.test" },
    );
    rooms = new Rooms(media.stack, media.api);
    [owner, admin, member, outsider] = await rooms.users(4);
    roomId = await rooms.room(owner, [admin, member]);
    assert.equal((await rooms.putMember(owner, roomId, admin.userId, { role: 2 })).status, 200);
    jpeg = await makeJpeg({ width: 100, height: 100 });
  });
  after(async () => {
    await media?.stop();
  });

  const post = (path: string, user: TestUser) => postForm<AvatarReply>(media.upload.url, path, user.token, jpeg);
  const fetchStatus = async (url: string) => {
    const res = await fetch(url.replace("http://media.test", media.upload.url), { redirect: "manual" });
    await res.arrayBuffer();
    return res.status;
  };

  it("refuses a room avatar from a member, an outsider and an ex-admin", async () => {
    assert.equal((await post(`/v1/avatars/rooms/${roomId}`, admin)).status, 200);
    for (const user of [member, outsider]) {
      const reply = await post(`/v1/avatars/rooms/${roomId}`, user);
      assert.equal(reply.status, 403, JSON.stringify(reply.body));
      assert.equal(errorOf(reply).key, "ROOM_PERMISSION_DENIED");
    }
    assert.equal((await rooms.putMember(owner, roomId, admin.userId, { role: 3 })).status, 200);
    const exAdmin = await post(`/v1/avatars/rooms/${roomId}`, admin);
    assert.equal(exAdmin.status, 403, JSON.stringify(exAdmin.body));
  });

  it("keeps avatars working after a client puts back an avatarUrl with a made-up version", async () => {
    const base = media.config.MEDIA_PUBLIC_URL;
    const lie = `${base}/v1/avatars/users/${owner.userId}?v=999999999999999`;
    const patched = await media.api.patch("/v1/users/me", { avatarUrl: lie }, owner.token);
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const uploaded = await post("/v1/avatars/users/me", owner);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    assert.equal(await fetchStatus(uploaded.body.avatarUrl), 302, `${uploaded.body.avatarUrl} is served`);
    // And the client may put its URL back (the API accepts only URLs the upload app makes).
    const back = await media.api.patch("/v1/users/me", { avatarUrl: uploaded.body.avatarUrl }, owner.token);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    // Same for a room, by its owner.
    const roomLie = `${base}/v1/avatars/rooms/${roomId}?v=999999999999999`;
    assert.equal((await rooms.patch(owner, roomId, { avatarUrl: roomLie })).status, 200);
    const roomUpload = await post(`/v1/avatars/rooms/${roomId}`, owner);
    assert.equal(roomUpload.status, 200, JSON.stringify(roomUpload.body));
    assert.equal(await fetchStatus(roomUpload.body.avatarUrl), 302);
  });
});
