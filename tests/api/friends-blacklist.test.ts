import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { friendNoticeTypes as T } from "@im/protocol";
import { expectError, expectOk, FriendsWorld, zero } from "../support/friends.js";

describe("friends: blacklist", () => {
  let w: FriendsWorld;
  before(async () => {
    w = await FriendsWorld.start();
  });
  after(() => w.stop());

  const blockPath = (id: number) => `/v1/blacklist/${id}`;

  it("blocking a stranger creates both flagged records, writes 507 once and blocks every approach", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    expectOk(await w.client.post(blockPath(b.userId), undefined, a.token), 204);
    expectOk(await w.client.post(blockPath(b.userId), undefined, a.token), 204);
    const mine = await w.record(a, b);
    const theirs = await w.record(b, a);
    assert.deepEqual([mine?.status, mine?.blacklist, mine?.isBeenBlack], [0, 1, 0]);
    assert.deepEqual([theirs?.status, theirs?.blacklist, theirs?.isBeenBlack], [0, 0, 1]);
    assert.deepEqual(await w.noticesOf(a, b, T.blacklist), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(b, a, T.blacklist), [[1, ""]]);
    assert.deepEqual(await w.listIds(a, "/v1/blacklist"), [b.userId]);
    assert.deepEqual(await w.listIds(b, "/v1/blacklist"), []);

    expectError(await w.add(b, a), 403, "BLOCKED_BY_USER");
    expectError(await w.client.post(`/v1/follows/${a.userId}`, undefined, b.token), 403, "BLOCKED_BY_USER");
    expectError(await w.add(a, b), 409, "USER_IS_BLOCKED");
    expectError(await w.client.post(`/v1/follows/${b.userId}`, undefined, a.token), 409, "USER_IS_BLOCKED");
    await w.expectCounts(a, zero);
    await w.expectCounts(b, zero);

    expectOk(await w.client.delete(blockPath(b.userId), a.token), 204);
    expectError(await w.client.delete(blockPath(b.userId), a.token), 404, "NOT_BLOCKED");
    assert.equal(await w.record(a, b), null, "records without status or flags are deleted");
    assert.equal(await w.record(b, a), null);
    assert.deepEqual(await w.noticesOf(a, b, T.unblacklist), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(b, a, T.unblacklist), [[1, ""]]);
    assert.deepEqual((await w.add(b, a)).body, { result: "requested" }, "B may approach again");
  });

  it("blocking someone ends their follow or pending request, but not mine", async () => {
    const a = await w.user();
    const b = await w.user();
    expectOk(await w.add(b, a, { greeting: "hi" }), 200); // B's pending request to A
    expectOk(await w.client.post(`/v1/follows/${b.userId}`, undefined, a.token), 204); // A follows B
    expectOk(await w.client.post(blockPath(b.userId), undefined, a.token), 204);
    assert.equal((await w.record(b, a))?.status, 0);
    assert.equal(await w.fan(a, b), null, "B is no longer A's fan");
    assert.equal((await w.record(a, b))?.status, 1, "A still follows B");
    expectError(await w.accept(a, b), 404, "FRIEND_REQUEST_NOT_FOUND");
    assert.deepEqual(await w.listIds(a, "/v1/follows"), [], "a blocked user is hidden from my follows");
    await w.expectCounts(a, zero);
    await w.expectCounts(b, { friendsCount: 0, fansCount: 1, attCount: 0 });
  });

  it("blocking a friend hides the friendship from my side until I unblock", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    await w.befriend(a, b);
    expectOk(await w.client.post(blockPath(b.userId), undefined, a.token), 204);
    assert.equal((await w.record(a, b))?.status, 2);
    assert.equal((await w.record(b, a))?.status, 2);
    assert.deepEqual(await w.listIds(a, "/v1/friends"), []);
    assert.deepEqual(await w.listIds(b, "/v1/friends"), [a.userId]);
    await w.expectCounts(a, { friendsCount: 0, fansCount: 1, attCount: 0 });
    await w.expectCounts(b, { friendsCount: 1, fansCount: 1, attCount: 1 });
    expectError(await w.add(b, a), 403, "BLOCKED_BY_USER");
    expectError(await w.client.post("/v1/friend-groups", { groupName: "g", userIds: [b.userId] }, a.token), 403, "NOT_FRIENDS");

    expectOk(await w.client.delete(blockPath(b.userId), a.token), 204);
    const mine = await w.record(a, b);
    const theirs = await w.record(b, a);
    assert.deepEqual([mine?.status, mine?.blacklist, mine?.isBeenBlack], [2, 0, 0]);
    assert.deepEqual([theirs?.status, theirs?.blacklist, theirs?.isBeenBlack], [2, 0, 0]);
    assert.deepEqual(await w.listIds(a, "/v1/friends"), [b.userId]);
    await w.expectCounts(a, { friendsCount: 1, fansCount: 1, attCount: 1 });
  });

  it("deleting keeps the blacklist flags; mutual blocks are independent", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    await w.befriend(a, b);
    expectOk(await w.client.post(blockPath(b.userId), undefined, a.token), 204);
    expectOk(await w.client.delete(`/v1/friends/${b.userId}`, a.token), 204);
    const mine = await w.record(a, b);
    assert.deepEqual([mine?.status, mine?.blacklist], [0, 1]);
    assert.deepEqual([(await w.record(b, a))?.status, (await w.record(b, a))?.isBeenBlack], [0, 1]);
    assert.deepEqual(await w.noticesOf(a, b, 505), [[0, ""]]);
    await w.expectCounts(a, zero);
    await w.expectCounts(b, zero);

    expectOk(await w.client.post(blockPath(a.userId), undefined, b.token), 204);
    const both = await w.record(a, b);
    assert.deepEqual([both?.blacklist, both?.isBeenBlack], [1, 1]);
    expectError(await w.add(a, b), 403, "BLOCKED_BY_USER");
    expectOk(await w.client.delete(blockPath(b.userId), a.token), 204);
    const after = await w.record(a, b);
    assert.deepEqual([after?.blacklist, after?.isBeenBlack], [0, 1], "B's block of A remains");
    expectError(await w.add(a, b), 403, "BLOCKED_BY_USER");
  });

  it("validates the target", async () => {
    const a = await w.user();
    expectError(await w.client.post(blockPath(a.userId), undefined, a.token), 403, "CANNOT_TARGET_SELF");
    expectError(await w.client.post(blockPath(2_100_000_000), undefined, a.token), 404, "USER_NOT_FOUND");
    expectError(await w.client.delete(blockPath(2_100_000_000), a.token), 404, "USER_NOT_FOUND");
    expectError(await w.client.post("/v1/blacklist/x", undefined, a.token), 400, "VALIDATION_FAILED");
  });
});
