import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { friendNoticeTypes as T } from "@im/protocol";
import { expectError, expectOk, FriendsWorld, zero } from "../support/friends.js";

describe("friends: requests, accept, reply, delete, remark", () => {
  let w: FriendsWorld;
  before(async () => {
    w = await FriendsWorld.start();
  });
  after(() => w.stop());

  it("with verification: a request, its notices, counts and lists; a repeat writes only a new notice", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 1 });
    const asked = await w.add(a, b, { greeting: "  hello B  " });
    expectOk(asked, 200);
    assert.deepEqual(asked.body, { result: "requested" });
    assert.equal((await w.record(a, b))?.status, 1);
    assert.equal(await w.record(b, a), null);
    assert.ok(await w.fan(b, a), "B has A as a fan");
    assert.equal(await w.fan(a, b), null);
    assert.deepEqual(await w.noticesOf(a, b, T.greet), [[0, "hello B"]]);
    assert.deepEqual(await w.noticesOf(b, a, T.greet), [[1, "hello B"]]);
    await w.expectCounts(a, { friendsCount: 0, fansCount: 0, attCount: 1 });
    await w.expectCounts(b, { friendsCount: 0, fansCount: 1, attCount: 0 });
    assert.deepEqual(await w.listIds(a, "/v1/follows"), [b.userId]);
    assert.deepEqual(await w.listIds(b, "/v1/fans"), [a.userId]);
    assert.deepEqual(await w.listIds(a, "/v1/friends"), []);

    expectOk(await w.add(a, b, { greeting: "again" }), 200);
    assert.equal(await w.models.friendships.countDocuments({ userId: a.userId, toUserId: b.userId }), 1);
    assert.equal(await w.models.fans.countDocuments({ userId: b.userId, toUserId: a.userId }), 1);
    assert.deepEqual(await w.noticesOf(b, a, T.greet), [
      [1, "again"],
      [1, "hello B"],
    ]);
    await w.expectCounts(a, { friendsCount: 0, fansCount: 0, attCount: 1 });
  });

  it("accepting makes friends both ways with 501 notices for both sides", async () => {
    const a = await w.user();
    const b = await w.user();
    expectOk(await w.add(a, b), 200);
    expectError(await w.accept(a, b), 404, "FRIEND_REQUEST_NOT_FOUND"); // the requester cannot accept
    const accepted = await w.accept(b, a);
    expectOk(accepted, 200);
    assert.deepEqual(accepted.body, { result: "friends" });
    assert.equal((await w.record(a, b))?.status, 2);
    assert.equal((await w.record(b, a))?.status, 2);
    assert.deepEqual(await w.noticesOf(b, a, T.agree), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(a, b, T.agree), [[1, ""]]);
    const both = { friendsCount: 1, fansCount: 1, attCount: 1 };
    await w.expectCounts(a, both);
    await w.expectCounts(b, both);
    assert.deepEqual(await w.listIds(a, "/v1/friends"), [b.userId]);
    assert.deepEqual(await w.listIds(b, "/v1/friends"), [a.userId]);
    assert.deepEqual(await w.listIds(a, "/v1/follows"), [], "friends are not listed as follows");
    expectError(await w.accept(b, a), 409, "ALREADY_FRIENDS");
    expectError(await w.add(a, b), 409, "ALREADY_FRIENDS");
    expectError(await w.add(b, a), 409, "ALREADY_FRIENDS");
  });

  it("adding someone who already asked me accepts their request (501), even when I verify", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 1 });
    expectOk(await w.add(b, a), 200); // B asks A (A verifies by default)
    const added = await w.add(a, b, { greeting: "yes" });
    assert.deepEqual(added.body, { result: "friends" });
    assert.deepEqual(await w.noticesOf(a, b, T.agree), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(b, a, T.agree), [[1, ""]]);
    assert.deepEqual(await w.noticesOf(a, b, T.directFriend), []);
    await w.expectCounts(a, { friendsCount: 1, fansCount: 1, attCount: 1 });
  });

  it("without verification adding is direct (508) and the greeting goes with it", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    const added = await w.add(a, b, { greeting: "hi" });
    expectOk(added, 200);
    assert.deepEqual(added.body, { result: "friends" });
    assert.deepEqual(await w.noticesOf(a, b, T.directFriend), [[0, "hi"]]);
    assert.deepEqual(await w.noticesOf(b, a, T.directFriend), [[1, "hi"]]);
    assert.deepEqual(await w.noticesOf(b, a, T.greet), []);
    await w.expectCounts(a, { friendsCount: 1, fansCount: 1, attCount: 1 });
    await w.expectCounts(b, { friendsCount: 1, fansCount: 1, attCount: 1 });
    const [notice] = await w.notices(b);
    assert.equal(notice?.nickname, a.nickname, "notices carry the other user's nickname");
  });

  it("a greeting to someone who refuses greetings fails; no greeting still works", async () => {
    const a = await w.user();
    const b = await w.user({ allowGreet: 0 });
    expectError(await w.add(a, b, { greeting: "hi" }), 403, "GREET_NOT_ALLOWED");
    assert.equal(await w.record(a, b), null, "nothing was written");
    assert.deepEqual(await w.notices(b), []);
    expectOk(await w.add(a, b, { greeting: "   " }), 200);
    assert.deepEqual(await w.noticesOf(b, a, T.greet), [[1, ""]]);
  });

  it("reply: 502 both sides while a request is pending, from either side", async () => {
    const a = await w.user();
    const b = await w.user();
    const reply = (from: typeof a, to: typeof a, content: unknown) =>
      w.client.post(`/v1/friends/requests/${to.userId}/reply`, { content }, from.token);
    expectError(await reply(b, a, "who?"), 404, "FRIEND_REQUEST_NOT_FOUND");
    expectOk(await w.add(a, b, { greeting: "hi" }), 200);
    expectOk(await reply(b, a, "who are you?"), 204);
    expectOk(await reply(a, b, "your colleague"), 204);
    assert.deepEqual(await w.noticesOf(b, a, T.reply), [
      [1, "your colleague"],
      [0, "who are you?"],
    ]);
    assert.deepEqual(await w.noticesOf(a, b, T.reply), [
      [0, "your colleague"],
      [1, "who are you?"],
    ]);
    expectError(await reply(b, a, ""), 400, "VALIDATION_FAILED");
    expectError(await reply(b, a, "x".repeat(101)), 400, "VALIDATION_FAILED");
    expectError(await w.client.post(`/v1/friends/requests/${a.userId}/reply`, {}, b.token), 400, "VALIDATION_FAILED");
    expectOk(await w.client.patch("/v1/users/me/settings", { allowGreet: 0 }, a.token), 200);
    expectError(await reply(b, a, "hello?"), 403, "GREET_NOT_ALLOWED");
    await w.expectCounts(a, { friendsCount: 0, fansCount: 0, attCount: 1 }, "replies change no relationship");
    expectOk(await w.accept(b, a), 200);
    expectError(await reply(b, a, "hi friend"), 404, "FRIEND_REQUEST_NOT_FOUND");
  });

  it("delete removes everything both ways, writes 505 once, cleans groups, and is idempotent", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    await w.befriend(a, b);
    await w.befriend(b, await w.user({ friendsVerify: 0 })); // B keeps another friend
    expectOk(await w.client.post("/v1/friend-groups", { groupName: "work", userIds: [b.userId] }, a.token), 201);
    expectOk(await w.client.post("/v1/friend-groups", { groupName: "school", userIds: [a.userId] }, b.token), 201);
    expectOk(await w.client.delete(`/v1/friends/${b.userId}`, a.token), 204);
    assert.equal(await w.record(a, b), null);
    assert.equal(await w.record(b, a), null);
    assert.equal(await w.fan(a, b), null);
    assert.equal(await w.fan(b, a), null);
    assert.deepEqual(await w.noticesOf(a, b, T.delete), [[0, ""]]);
    assert.deepEqual(await w.noticesOf(b, a, T.delete), [[1, ""]]);
    await w.expectCounts(a, zero);
    await w.expectCounts(b, { friendsCount: 1, fansCount: 1, attCount: 1 });
    const groupsOf = async (user: typeof a) =>
      (await w.client.get<{ items: Array<{ userIds: number[] }> }>("/v1/friend-groups", user.token)).body.items.map((g) => g.userIds);
    assert.deepEqual(await groupsOf(a), [[]]);
    assert.deepEqual(await groupsOf(b), [[]]);

    expectOk(await w.client.delete(`/v1/friends/${b.userId}`, a.token), 204);
    expectOk(await w.client.delete(`/v1/friends/${a.userId}`, b.token), 204);
    assert.equal((await w.noticesOf(a, b, T.delete)).length, 1, "no notice when nothing was removed");
  });

  it("delete also withdraws a pending request and a follow", async () => {
    const a = await w.user();
    const b = await w.user();
    expectOk(await w.add(a, b), 200);
    expectOk(await w.client.post(`/v1/follows/${a.userId}`, undefined, b.token), 204);
    expectOk(await w.client.delete(`/v1/friends/${a.userId}`, b.token), 204);
    assert.equal(await w.models.friendships.countDocuments({ userId: { $in: [a.userId, b.userId] } }), 0);
    assert.equal(await w.models.fans.countDocuments({ userId: { $in: [a.userId, b.userId] } }), 0);
    assert.deepEqual(await w.noticesOf(b, a, T.delete), [[0, ""]]);
    await w.expectCounts(a, zero);
    await w.expectCounts(b, zero);
  });

  it("PATCH sets remark and chat settings of a friend only", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    const path = `/v1/friends/${b.userId}`;
    expectError(await w.client.patch(path, { remarkName: "Bee" }, a.token), 403, "NOT_FRIENDS");
    expectOk(await w.add(a, b), 200);
    const patched = await w.client.patch<{
      user: { userId: number };
      remarkName: string;
      offlineNoPushMsg: number;
      chatRecordTimeOut: number;
    }>(path, { remarkName: " Bee ", offlineNoPushMsg: 1, chatRecordTimeOut: 30 }, a.token);
    expectOk(patched, 200);
    assert.equal(patched.body.user.userId, b.userId);
    assert.equal(patched.body.remarkName, "Bee");
    assert.equal(patched.body.offlineNoPushMsg, 1);
    assert.equal(patched.body.chatRecordTimeOut, 30);
    const listed = await w.client.get<{ items: Array<{ remarkName: string; chatRecordTimeOut: number }> }>("/v1/friends", a.token);
    assert.equal(listed.body.items[0]?.remarkName, "Bee");
    assert.equal((await w.record(b, a))?.remarkName, "", "B's side is untouched");
    expectOk(await w.client.patch(path, { chatRecordTimeOut: -1 }, a.token), 200);
    assert.equal((await w.record(a, b))?.remarkName, "Bee", "omitted fields stay");
    for (const bad of [
      {},
      { remarkName: "x".repeat(33) },
      { remarkName: { $gt: "" } },
      { remarkName: 5 },
      { offlineNoPushMsg: 2 },
      { offlineNoPushMsg: "1" },
      { chatRecordTimeOut: 0 },
      { chatRecordTimeOut: -2 },
      { chatRecordTimeOut: 3651 },
      { chatRecordTimeOut: 1.5 },
      { remarkName: "a\u0000b" },
    ]) {
      expectError(await w.client.patch(path, bad, a.token), 400, "VALIDATION_FAILED");
    }
    assert.equal((await w.record(a, b))?.remarkName, "Bee");
  });

  it("targets must exist and be enabled", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    await w.models.users.updateOne({ userId: b.userId }, { $set: { status: -1 } });
    expectError(await w.add(a, b), 404, "USER_NOT_FOUND");
    expectError(await w.add(a, 2_000_000_000), 404, "USER_NOT_FOUND");
    assert.equal(await w.record(a, b), null);
  });
});
