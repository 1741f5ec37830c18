import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectError, FriendsWorld } from "../support/friends.js";
import type { TestUser } from "../support/users.js";

describe("friends: bad input and authentication", () => {
  let w: FriendsWorld;
  let a: TestUser;
  let b: TestUser;
  before(async () => {
    w = await FriendsWorld.start();
    a = await w.user();
    b = await w.user({ friendsVerify: 0 });
  });
  after(() => w.stop());

  /** Every route that takes a :userId, with a body that would otherwise be valid. */
  const userRoutes: Array<[string, (id: string) => string, unknown]> = [
    ["POST", (id) => `/v1/friends/${id}`, {}],
    ["DELETE", (id) => `/v1/friends/${id}`, undefined],
    ["PATCH", (id) => `/v1/friends/${id}`, { remarkName: "x" }],
    ["POST", (id) => `/v1/friends/requests/${id}/accept`, undefined],
    ["POST", (id) => `/v1/friends/requests/${id}/reply`, { content: "hi" }],
    ["POST", (id) => `/v1/follows/${id}`, undefined],
    ["DELETE", (id) => `/v1/follows/${id}`, undefined],
    ["POST", (id) => `/v1/blacklist/${id}`, undefined],
    ["DELETE", (id) => `/v1/blacklist/${id}`, undefined],
  ];

  it("rejects malformed user ids in the path", async () => {
    for (const [method, path, body] of userRoutes) {
      for (const id of ["abc", "-5", "0", "1.5", "99999999999", "1e3x", "%24gt"]) {
        const reply = await w.client.call(method, path(id), { body, token: a.token });
        expectError(reply, 400, "VALIDATION_FAILED");
      }
    }
  });

  it("answers USER_NOT_FOUND for the system notifier 10005: nobody befriends, follows or blocks the platform", async () => {
    for (const [method, path, body] of userRoutes) {
      const reply = await w.client.call(method, path("10005"), { body, token: a.token });
      expectError(reply, 404, "USER_NOT_FOUND");
    }
  });

  it("answers USER_NOT_FOUND for unknown users and CANNOT_TARGET_SELF for myself", async () => {
    for (const [method, path, body] of userRoutes) {
      expectError(await w.client.call(method, path("2147483647"), { body, token: a.token }), 404, "USER_NOT_FOUND");
      expectError(await w.client.call(method, path(String(a.userId)), { body, token: a.token }), 403, "CANNOT_TARGET_SELF");
    }
    assert.equal(await w.models.friendships.countDocuments({ userId: a.userId }), 0);
  });

  it("requires a valid token on every friends route", async () => {
    const routes: Array<[string, string]> = [
      ...userRoutes.map(([method, path]) => [method, path(String(b.userId))] as [string, string]),
      ["GET", "/v1/friends"],
      ["GET", "/v1/fans"],
      ["GET", "/v1/follows"],
      ["GET", "/v1/blacklist"],
      ["GET", "/v1/new-friends"],
      ["GET", "/v1/friend-groups"],
      ["POST", "/v1/friend-groups"],
      ["PATCH", "/v1/friend-groups/0123456789abcdef01234567"],
      ["DELETE", "/v1/friend-groups/0123456789abcdef01234567"],
    ];
    for (const [method, path] of routes) {
      expectError(await w.client.call(method, path), 401, "TOKEN_MISSING");
      expectError(await w.client.call(method, path, { token: "not-a-token" }), 401, "TOKEN_INVALID");
      expectError(await w.client.call(method, path, { headers: { authorization: "Basic abc" } }), 401, "TOKEN_INVALID");
    }
    assert.equal(await w.record(b, a), null, "nothing happened without a token");
  });

  it("rejects bad bodies and operator injection without writing anything", async () => {
    const path = `/v1/friends/${b.userId}`;
    for (const body of [
      { greeting: "x".repeat(101) },
      { greeting: 42 },
      { greeting: { $gt: "" } },
      { greeting: ["hi"] },
      { greeting: "bell\u0007" },
    ]) {
      expectError(await w.client.post(path, body, a.token), 400, "VALIDATION_FAILED");
    }
    expectError(await w.client.call("POST", path, { raw: "{not json", token: a.token }), 400, "MALFORMED_JSON");
    assert.equal(await w.record(a, b), null);
    assert.equal(await w.models.newFriends.countDocuments({ userId: b.userId }), 0);
    const issues = (await w.client.post<{ error: { issues: Array<{ field: string }> } }>(path, { greeting: 42 }, a.token)).body.error
      .issues;
    assert.deepEqual(
      issues.map((issue) => issue.field),
      ["body.greeting"],
    );
    const reply = await w.client.post(`/v1/friends/requests/${b.userId}/reply`, { content: { $ne: null } }, a.token);
    expectError(reply, 400, "VALIDATION_FAILED");
    const longest = await w.client.post<{ result: string }>(path, { greeting: "x".repeat(100) }, a.token);
    assert.equal(longest.status, 200, JSON.stringify(longest.body));
    assert.deepEqual(longest.body, { result: "friends" }, "100 characters is the limit, not over it");
  });
});
