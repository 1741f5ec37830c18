import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { friendNoticeTypes as T } from "@im/protocol";
import { expectError, expectOk, FriendsWorld, zero } from "../support/friends.js";

describe("friends: follows and lists", () => {
  let w: FriendsWorld;
  before(async () => {
    w = await FriendsWorld.start();
  });
  after(() => w.stop());

  const followPath = (id: number) => `/v1/follows/${id}`;

  it("follow writes 503 once, is idempotent, and unfollow writes 504 once", async () => {
    const a = await w.user();
    const b = await w.user();
    expectOk(await w.client.post(followPath(b.userId), undefined, a.token), 204);
    expectOk(await w.client.post(followPath(b.userId), undefined, a.token), 204);
    assert.equal((await w.record(a, b))?.status, 1);
    assert.ok(await w.fan(b, a));
    assert.deepEqual(await w.noticesOf(a, b, T.follow), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(b, a, T.follow), [[1, ""]]);
    await w.expectCounts(a, { friendsCount: 0, fansCount: 0, attCount: 1 });
    await w.expectCounts(b, { friendsCount: 0, fansCount: 1, attCount: 0 });
    assert.deepEqual(await w.listIds(a, "/v1/follows"), [b.userId]);
    assert.deepEqual(await w.listIds(b, "/v1/fans"), [a.userId]);

    expectOk(await w.client.delete(followPath(b.userId), a.token), 204);
    expectOk(await w.client.delete(followPath(b.userId), a.token), 204);
    assert.equal(await w.record(a, b), null);
    assert.equal(await w.fan(b, a), null);
    assert.deepEqual(await w.noticesOf(a, b, T.unfollow), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(b, a, T.unfollow), [[1, ""]]);
    await w.expectCounts(a, zero);
    await w.expectCounts(b, zero);
  });

  it("mutual follows stay follows; adding then makes friends", async () => {
    const a = await w.user();
    const b = await w.user();
    expectOk(await w.client.post(followPath(b.userId), undefined, a.token), 204);
    expectOk(await w.client.post(followPath(a.userId), undefined, b.token), 204);
    const both = { friendsCount: 0, fansCount: 1, attCount: 1 };
    await w.expectCounts(a, both);
    await w.expectCounts(b, both);
    const added = await w.add(a, b);
    assert.deepEqual(added.body, { result: "friends" });
    await w.expectCounts(a, { friendsCount: 1, fansCount: 1, attCount: 1 });
  });

  it("refuses when the target disallows followers, or when already friends", async () => {
    const a = await w.user();
    const closed = await w.user({ allowAtt: 0 });
    expectError(await w.client.post(followPath(closed.userId), undefined, a.token), 403, "FOLLOW_NOT_ALLOWED");
    assert.equal(await w.record(a, closed), null);
    const friend = await w.user({ friendsVerify: 0 });
    await w.befriend(a, friend);
    expectError(await w.client.post(followPath(friend.userId), undefined, a.token), 409, "ALREADY_FRIENDS");
    expectError(await w.client.delete(followPath(friend.userId), a.token), 409, "ALREADY_FRIENDS");
    assert.equal((await w.record(a, friend))?.status, 2, "the friendship survived");
    expectError(await w.client.post(followPath(a.userId), undefined, a.token), 403, "CANNOT_TARGET_SELF");
    expectError(await w.client.delete(followPath(a.userId), a.token), 403, "CANNOT_TARGET_SELF");
    expectError(await w.client.post(followPath(1_999_999_999), undefined, a.token), 404, "USER_NOT_FOUND");
  });

  it("unfollow withdraws a pending friend request", async () => {
    const a = await w.user();
    const b = await w.user();
    expectOk(await w.add(a, b), 200);
    expectOk(await w.client.delete(followPath(b.userId), a.token), 204);
    expectError(await w.accept(b, a), 404, "FRIEND_REQUEST_NOT_FOUND");
    await w.expectCounts(b, zero);
  });

  it("lists page with hasMore and carry public profiles", async () => {
    const star = await w.user();
    const fans = [await w.user(), await w.user(), await w.user()];
    for (const fan of fans) expectOk(await w.client.post(followPath(star.userId), undefined, fan.token), 204);
    const first = await w.client.get<{ items: Array<{ user: { userId: number; nickname: string } }>; hasMore: boolean; page: number }>(
      "/v1/fans?pageSize=2",
      star.token,
    );
    expectOk(first, 200);
    assert.equal(first.body.items.length, 2);
    assert.equal(first.body.hasMore, true);
    const second = await w.client.get<{ items: Array<{ user: { userId: number } }>; hasMore: boolean }>(
      "/v1/fans?pageSize=2&page=1",
      star.token,
    );
    assert.equal(second.body.items.length, 1);
    assert.equal(second.body.hasMore, false);
    const seen = [...first.body.items, ...second.body.items].map((item) => item.user.userId).sort((x, y) => x - y);
    assert.deepEqual(
      seen,
      fans.map((f) => f.userId),
    );
    assert.equal(first.body.items[0]?.user.nickname, fans[2]?.nickname, "newest first");
    const notices = await w.client.get<{ items: unknown[]; hasMore: boolean }>("/v1/new-friends?pageSize=2", star.token);
    assert.equal(notices.body.items.length, 2);
    assert.equal(notices.body.hasMore, true);
    for (const path of ["/v1/fans", "/v1/follows", "/v1/friends", "/v1/blacklist", "/v1/new-friends"]) {
      expectError(await w.client.get(`${path}?pageSize=0`, star.token), 400, "VALIDATION_FAILED");
      expectError(await w.client.get(`${path}?page=-1`, star.token), 400, "VALIDATION_FAILED");
      expectError(await w.client.get(`${path}?pageSize=101`, star.token), 400, "VALIDATION_FAILED");
      expectError(await w.client.get(path), 401, "TOKEN_MISSING");
    }
  });
});
