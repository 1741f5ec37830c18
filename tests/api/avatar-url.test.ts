// Issue 11 §2: avatarUrl is set only from an upload (a URL under our own media host naming this user or room),
// never an arbitrary address; room avatars by owners and admins only.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient } from "../support/client.js";
import { expectError } from "../support/friends.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";

const MEDIA = "https://media.example.test/im";

describe("avatarUrl: only our own avatar URLs", () => {
  let stack: TestStack;
  let r: Rooms;
  before(async () => {
    stack = await startStack({ MEDIA_PUBLIC_URL: MEDIA });
    r = new Rooms(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  it("a profile takes only the user's own avatar URL from the upload app, or nothing", async () => {
    const [me, other] = await r.users(2);
    const patch = (avatarUrl: string) => r.client.patch<{ avatarUrl: string }>("/v1/users/me", { avatarUrl }, me.token);
    const own = `${MEDIA}/v1/avatars/users/${me.userId}?v=3`;
    const refused = [
      "https://evil.example.com/a.png",
      `https://evil.example.com/im/v1/avatars/users/${me.userId}?v=3`, // a foreign host with our path
      `https://media.example.test.evil.com/im/v1/avatars/users/${me.userId}?v=3`, // a look-alike host
      `http://media.example.test/im/v1/avatars/users/${me.userId}?v=3`, // another scheme
      `${MEDIA}/v1/avatars/users/${other.userId}?v=3`, // someone else's avatar
      `${MEDIA}/v1/avatars/users/${me.userId}`, // no version
      `${MEDIA}/v1/avatars/users/${me.userId}?v=3&x=https://evil.example.com`,
      `${MEDIA}/v1/avatars/users/../rooms/${me.userId}?v=3`,
      `${MEDIA}/v1/media/${"a".repeat(32)}`, // a media URL is no avatar
    ];
    for (const url of refused) expectError(await patch(url), 400, "AVATAR_URL_NOT_ALLOWED");
    const unchanged = await r.client.get<{ avatarUrl: string }>("/v1/users/me", me.token);
    assert.equal(unchanged.body.avatarUrl, "", "nothing was set");
    const set = await patch(own);
    expectStatus(set, 200);
    assert.equal(set.body.avatarUrl, own);
    const cleared = await patch("");
    expectStatus(cleared, 200);
    assert.equal(cleared.body.avatarUrl, "");
  });

  it("a room takes only its own avatar URL, from its owner or admins", async () => {
    const [owner, admin, member] = await r.users(3);
    const roomId = await r.room(owner, [admin, member]);
    const otherRoom = await r.room(owner);
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    const own = `${MEDIA}/v1/avatars/rooms/${roomId}?v=1`;
    expectError(await r.patch(owner, roomId, { avatarUrl: "https://evil.example.com/x.png" }), 400, "AVATAR_URL_NOT_ALLOWED");
    expectError(await r.patch(owner, roomId, { avatarUrl: `${MEDIA}/v1/avatars/rooms/${otherRoom}?v=1` }), 400, "AVATAR_URL_NOT_ALLOWED");
    expectError(
      await r.patch(owner, roomId, { avatarUrl: `${MEDIA}/v1/avatars/users/${owner.userId}?v=1` }),
      400,
      "AVATAR_URL_NOT_ALLOWED",
    );
    expectError(await r.patch(member, roomId, { avatarUrl: own }), 403, "ROOM_PERMISSION_DENIED");
    const byAdmin = await r.patch(admin, roomId, { avatarUrl: own });
    expectStatus(byAdmin, 200);
    assert.equal((byAdmin.body as unknown as { avatarUrl: string }).avatarUrl, own);
    const seen = await r.get(member, roomId);
    assert.equal((seen.body as unknown as { avatarUrl: string }).avatarUrl, own, "members see it");
    expectStatus(await r.patch(owner, roomId, { avatarUrl: "" }), 200);
    assert.equal(((await r.get(member, roomId)).body as unknown as { avatarUrl: string }).avatarUrl, "");
  });
});
