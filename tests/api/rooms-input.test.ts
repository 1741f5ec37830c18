import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient } from "../support/client.js";
import { expectError } from "../support/friends.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";
import type { TestUser } from "../support/users.js";

describe("rooms: bad input, foreign ids and authentication", () => {
  let stack: TestStack;
  let r: Rooms;
  let owner: TestUser;
  let friend: TestUser;
  let roomId: string;
  before(async () => {
    stack = await startStack();
    r = new Rooms(stack, new ApiClient(stack.api.url));
    [owner, friend] = await r.users(2);
    roomId = await r.room(owner, [friend]);
  });
  after(() => stack.stop());

  const roomRoutes = (id: string): Array<[string, string, unknown]> => [
    ["GET", `/v1/rooms/${id}`, undefined],
    ["PATCH", `/v1/rooms/${id}`, { name: "x" }],
    ["DELETE", `/v1/rooms/${id}`, undefined],
    ["GET", `/v1/rooms/${id}/members`, undefined],
    ["POST", `/v1/rooms/${id}/members`, { userIds: [1] }],
    ["POST", `/v1/rooms/${id}/join`, {}],
    ["GET", `/v1/rooms/${id}/join-requests`, undefined],
    ["PUT", `/v1/rooms/${id}/members/100000`, { talkTime: 0 }],
    ["DELETE", `/v1/rooms/${id}/members/100000`, undefined],
    ["POST", `/v1/rooms/${id}/join-requests/100000/approve`, undefined],
    ["DELETE", `/v1/rooms/${id}/join-requests/100000`, undefined],
  ];

  it("rejects malformed room ids, including operator-looking ones", async () => {
    for (const id of [
      "abc",
      "0123456789abcdef0123456",
      "0123456789abcdef012345678",
      "zzzzzzzzzzzzzzzzzzzzzzzz",
      "%24gt",
      "%7B%22%24ne%22%3A1%7D",
    ]) {
      for (const [method, path, body] of roomRoutes(id)) {
        expectError(await r.client.call(method, path, { body, token: owner.token }), 400, "VALIDATION_FAILED");
      }
    }
  });

  it("answers ROOM_NOT_FOUND for unknown room ids on every route", async () => {
    for (const [method, path, body] of roomRoutes("0123456789abcdef01234567")) {
      expectError(await r.client.call(method, path, { body, token: owner.token }), 404, "ROOM_NOT_FOUND");
    }
  });

  it("matches room ids case-insensitively", async () => {
    expectStatus(await r.get(owner, roomId.toUpperCase()), 200);
  });

  it("rejects bad bodies: operators, wrong types, unknown roles, bad sizes, empty patches", async () => {
    const bad: Array<[string, string, unknown]> = [
      ["POST", "/v1/rooms", {}],
      ["POST", "/v1/rooms", { name: "" }],
      ["POST", "/v1/rooms", { name: "   " }],
      ["POST", "/v1/rooms", { name: { $gt: "" } }],
      ["POST", "/v1/rooms", { name: "a\nb" }],
      ["POST", "/v1/rooms", { name: "x".repeat(65) }],
      ["POST", "/v1/rooms", { name: "ok", userIds: [{ $gt: 0 }] }],
      ["POST", "/v1/rooms", { name: "ok", userIds: "1,2" }],
      ["POST", "/v1/rooms", { name: "ok", userIds: [friend.userId, friend.userId] }],
      ["POST", "/v1/rooms", { name: "ok", isNeedVerify: 2 }],
      ["POST", "/v1/rooms", { name: "ok", maxUserSize: 1 }],
      ["POST", "/v1/rooms", { name: "ok", maxUserSize: 100_001 }],
      ["POST", "/v1/rooms", { name: "ok", maxUserSize: { $gt: 1 } }],
      ["PATCH", `/v1/rooms/${roomId}`, {}],
      ["PATCH", `/v1/rooms/${roomId}`, { talkTime: -1 }],
      ["PATCH", `/v1/rooms/${roomId}`, { talkTime: "soon" }],
      ["PATCH", `/v1/rooms/${roomId}`, { showRead: true }],
      ["PATCH", `/v1/rooms/${roomId}`, { name: { $set: "x" } }],
      ["POST", `/v1/rooms/${roomId}/members`, {}],
      ["POST", `/v1/rooms/${roomId}/members`, { userIds: [] }],
      ["POST", `/v1/rooms/${roomId}/members`, { userIds: [0] }],
      ["PUT", `/v1/rooms/${roomId}/members/${friend.userId}`, {}],
      ["PUT", `/v1/rooms/${roomId}/members/${friend.userId}`, { role: 1 }],
      ["PUT", `/v1/rooms/${roomId}/members/${friend.userId}`, { role: "2" }],
      ["PUT", `/v1/rooms/${roomId}/members/abc`, { role: 2 }],
      ["DELETE", `/v1/rooms/${roomId}/members/0`, undefined],
      ["POST", `/v1/rooms/${roomId}/join`, { reason: { $ne: null } }],
    ];
    for (const [method, path, body] of bad) {
      expectError(await r.client.call(method, path, { body, token: owner.token }), 400, "VALIDATION_FAILED");
    }
    const room = await r.get(owner, roomId);
    assert.equal(room.body.userSize, 2);
    assert.equal(room.body.name, "room");
  });

  it("requires a valid token on every room route", async () => {
    const routes: Array<[string, string]> = [
      ["POST", "/v1/rooms"],
      ["GET", "/v1/rooms"],
      ...roomRoutes(roomId).map(([method, path]) => [method, path] as [string, string]),
    ];
    for (const [method, path] of routes) {
      expectError(await r.client.call(method, path), 401, "TOKEN_MISSING");
      expectError(await r.client.call(method, path, { token: "nope" }), 401, "TOKEN_INVALID");
    }
  });

  it("rejects paging out of range", async () => {
    expectError(await r.client.get("/v1/rooms?pageSize=0", owner.token), 400, "VALIDATION_FAILED");
    expectError(await r.client.get(`/v1/rooms/${roomId}/members?page=-1`, owner.token), 400, "VALIDATION_FAILED");
  });
});
