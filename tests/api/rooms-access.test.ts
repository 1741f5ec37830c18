// Issue 10, item 2l: rooms cannot be found or joined uninvited.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ApiClient, errorOf, type Reply } from "../support/client.js";
import { expectError } from "../support/friends.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";
import type { TestUser } from "../support/users.js";

/** What a reply tells its caller: status and the whole error (code, key, message, issues), minus the request id. */
function answer(reply: Reply<unknown>): string {
  const error = reply.status >= 400 ? { ...errorOf(reply), requestId: undefined } : reply.body;
  return JSON.stringify([reply.status, error]);
}

describe("rooms: access (ids cannot be guessed, one answer for missing and foreign rooms, joining needs a way in)", () => {
  let stack: TestStack;
  let r: Rooms;
  before(async () => {
    stack = await startStack();
    r = new Rooms(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  /** Every room route a stranger may try, on one room id. */
  function probes(stranger: TestUser, roomId: string, memberId: number): Array<[string, () => Promise<Reply<unknown>>]> {
    const c = r.client;
    const t = stranger.token;
    return [
      ["GET room", () => c.get(`/v1/rooms/${roomId}`, t)],
      ["PATCH room", () => c.patch(`/v1/rooms/${roomId}`, { name: "mine" }, t)],
      ["DELETE room", () => c.delete(`/v1/rooms/${roomId}`, t)],
      ["GET members", () => c.get(`/v1/rooms/${roomId}/members`, t)],
      ["POST members", () => c.post(`/v1/rooms/${roomId}/members`, { userIds: [memberId] }, t)],
      ["PUT member", () => c.call("PUT", `/v1/rooms/${roomId}/members/${memberId}`, { body: { nickname: "x" }, token: t })],
      ["DELETE member", () => c.delete(`/v1/rooms/${roomId}/members/${memberId}`, t)],
      ["DELETE myself", () => c.delete(`/v1/rooms/${roomId}/members/${stranger.userId}`, t)],
      ["POST join", () => c.post(`/v1/rooms/${roomId}/join`, {}, t)],
      ["POST join with a made-up token", () => c.post(`/v1/rooms/${roomId}/join`, { token: randomBytes(24).toString("base64url") }, t)],
      ["GET join-requests", () => c.get(`/v1/rooms/${roomId}/join-requests`, t)],
      ["POST approve", () => c.post(`/v1/rooms/${roomId}/join-requests/${memberId}/approve`, undefined, t)],
      ["DELETE join-request", () => c.delete(`/v1/rooms/${roomId}/join-requests/${memberId}`, t)],
      ["POST join-links", () => c.post(`/v1/rooms/${roomId}/join-links`, undefined, t)],
    ];
  }

  it("gives new rooms random ids (no shared prefix as sequential ObjectIds had)", async () => {
    const owner = await r.user();
    const roomIds: string[] = [];
    for (let i = 0; i < 12; i++) roomIds.push(await r.room(owner));
    assert.equal(new Set(roomIds).size, roomIds.length);
    for (const id of roomIds) assert.match(id, /^[0-9a-f]{32}$/, "128 bits of hex");
    const commonPrefix = (a: string, b: string) => {
      let n = 0;
      while (n < a.length && a[n] === b[n]) n++;
      return n;
    };
    const longest = Math.max(...roomIds.slice(1).map((id, i) => commonPrefix(id, roomIds[i] ?? "")));
    assert.ok(longest < 8, `ids of rooms made one after another share ${longest} leading hex digits: ${roomIds.join(" ")}`);
  });

  it("a stranger walking ids finds nothing: a foreign private room answers exactly like one that does not exist", async () => {
    const [owner, member, stranger] = await r.users(3);
    const roomId = await r.room(owner, [member], { isNeedVerify: 1 });
    const missing = randomBytes(16).toString("hex");
    const missingOld = randomBytes(12).toString("hex"); // the older 24-hex form
    const foreign = probes(stranger, roomId, member.userId);
    const none = probes(stranger, missing, member.userId);
    const noneOld = probes(stranger, missingOld, member.userId);
    for (const [index, [name, probe]] of foreign.entries()) {
      const seen = answer(await probe());
      assert.equal(seen, answer(await (none[index]?.[1] ?? probe)()), `${name}: foreign vs missing`);
      assert.equal(seen, answer(await (noneOld[index]?.[1] ?? probe)()), `${name}: foreign vs missing (24-hex)`);
      assert.ok(!seen.includes("NOT_ROOM_MEMBER") && !seen.includes("ROOM_PERMISSION_DENIED"), `${name}: ${seen}`);
    }
    // Nothing changed: the stranger is in no list, and no request waits.
    expectError(await r.get(stranger, roomId), 404, "ROOM_NOT_FOUND");
    const requests = await r.client.get<{ items: unknown[] }>(`/v1/rooms/${roomId}/join-requests`, owner.token);
    expectStatus(requests, 200);
    assert.deepEqual(requests.body.items, []);
    await r.expectSize(roomId, 2);
  });

  it("a private room is joined only with a live join link of that room", async () => {
    const [owner, admin, member, stranger] = await r.users(4);
    const roomId = await r.room(owner, [admin, member]);
    const otherRoom = await r.room(owner);
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);

    expectError(await r.join(stranger, roomId), 404, "ROOM_NOT_FOUND");
    expectError(await r.client.post(`/v1/rooms/${roomId}/join-links`, undefined, member.token), 403, "ROOM_PERMISSION_DENIED");
    const link = await r.client.post<{ token: string; expiresAt: number }>(`/v1/rooms/${roomId}/join-links`, undefined, admin.token);
    expectStatus(link, 201);
    assert.match(link.body.token, /^[A-Za-z0-9_-]{32}$/);
    assert.ok(link.body.expiresAt > Date.now() + 3_600_000);

    expectError(await r.join(stranger, otherRoom, { token: link.body.token }), 403, "JOIN_TOKEN_INVALID");
    // One character changed (to one it is not: a token ending in "A" made this test pass the real token, 1 in 64).
    const altered = `${link.body.token.slice(0, -1)}${link.body.token.endsWith("A") ? "B" : "A"}`;
    expectError(await r.join(stranger, roomId, { token: altered }), 403, "JOIN_TOKEN_INVALID");
    const joined = await r.join(stranger, roomId, { token: link.body.token });
    expectStatus(joined, 200);
    assert.deepEqual(joined.body, { status: "joined" });
    expectStatus(await r.get(stranger, roomId), 200);
    await r.expectSize(roomId, 4);
    expectError(await r.join(stranger, roomId, { token: link.body.token }), 409, "ALREADY_ROOM_MEMBER");

    // An expired link (its key gone from Redis) lets nobody in.
    const late = await r.user();
    await stack.api.deps.redis.del(`room:join-link:${link.body.token}`);
    expectError(await r.join(late, roomId, { token: link.body.token }), 403, "JOIN_TOKEN_INVALID");
  });

  it("a join link to a room that needs approval makes a request the owner approves", async () => {
    const [owner, stranger] = await r.users(2);
    const roomId = await r.room(owner, [], { isNeedVerify: 1 });
    const link = await r.client.post<{ token: string }>(`/v1/rooms/${roomId}/join-links`, undefined, owner.token);
    expectStatus(link, 201);
    const asked = await r.join(stranger, roomId, { token: link.body.token, reason: "hi" });
    expectStatus(asked, 202);
    assert.deepEqual(asked.body, { status: "pending" });
    expectError(await r.get(stranger, roomId), 404, "ROOM_NOT_FOUND");
    expectStatus(await r.client.post(`/v1/rooms/${roomId}/join-requests/${stranger.userId}/approve`, undefined, owner.token), 204);
    expectStatus(await r.get(stranger, roomId), 200);
  });

  it("a room made public by its owner or an admin is joined by anyone, without a token", async () => {
    const [owner, member, stranger] = await r.users(3);
    const roomId = await r.room(owner, [member]);
    expectError(await r.join(stranger, roomId), 404, "ROOM_NOT_FOUND");
    expectError(await r.patch(member, roomId, { isPublic: 1 }), 403, "ROOM_PERMISSION_DENIED");
    const patched = await r.patch(owner, roomId, { isPublic: 1 });
    expectStatus(patched, 200);
    assert.equal(patched.body.isPublic, 1);
    expectStatus(await r.join(stranger, roomId), 200);
    await r.expectSize(roomId, 3);
    // Made private again: the next stranger is back to needing a way in.
    expectStatus(await r.patch(owner, roomId, { isPublic: 0 }), 200);
    expectError(await r.join(await r.user(), roomId), 404, "ROOM_NOT_FOUND");
  });
});
