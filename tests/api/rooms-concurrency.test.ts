import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf } from "../support/client.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";

describe("rooms: concurrency", () => {
  let stack: TestStack;
  let r: Rooms;
  before(async () => {
    stack = await startStack();
    r = new Rooms(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  it("20 parallel joins into a room of at most 10: exactly 9 more join, the rest get ROOM_FULL, userSize is exact", async () => {
    const owner = await r.user();
    const roomId = await r.room(owner, [], { maxUserSize: 10, isPublic: 1 });
    const joiners = await r.users(20);
    const replies = await Promise.all(joiners.map((user) => r.join(user, roomId)));
    const joined = replies.filter((reply) => reply.status === 200);
    const full = replies.filter((reply) => reply.status === 409);
    assert.equal(joined.length, 9, replies.map((x) => x.status).join(","));
    assert.equal(full.length, 11);
    assert.ok(full.every((reply) => errorOf(reply).key === "ROOM_FULL"));
    await r.expectSize(roomId, 10);
    const room = await r.get(owner, roomId);
    assert.equal(room.body.userSize, 10);
  });

  it("the same user joining 10 times at once joins once", async () => {
    const owner = await r.user();
    const roomId = await r.room(owner, [], { isPublic: 1 });
    const user = await r.user();
    const replies = await Promise.all(Array.from({ length: 10 }, () => r.join(user, roomId)));
    assert.equal(replies.filter((x) => x.status === 200).length, 1);
    assert.ok(replies.filter((x) => x.status !== 200).every((x) => errorOf(x).key === "ALREADY_ROOM_MEMBER"));
    await r.expectSize(roomId, 2);
  });

  it("parallel joins, leaves and invites leave userSize equal to the member count", async () => {
    const owner = await r.user();
    const friends = await r.users(6);
    const roomId = await r.room(owner, friends.slice(0, 3), { isPublic: 1 });
    await r.befriend(owner, ...friends.slice(3));
    const others = await r.users(6);
    await Promise.all([
      ...others.map((u) => r.join(u, roomId)),
      ...friends.slice(0, 3).map((u) => r.remove(u, roomId, u.userId)),
      r.invite(
        owner,
        roomId,
        friends.slice(3).map((u) => u.userId),
      ),
    ]).then((replies) => {
      for (const reply of replies) assert.ok(reply.status < 300, JSON.stringify(reply.body));
    });
    await r.expectSize(roomId, 1 + 6 + 3);
    expectStatus(await r.get(owner, roomId), 200);
  });
});
