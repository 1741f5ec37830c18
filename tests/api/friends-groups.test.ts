import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { expectError, expectOk, FriendsWorld } from "../support/friends.js";
import type { TestUser } from "../support/users.js";

interface Group {
  groupId: string;
  groupName: string;
  userIds: number[];
  createTime: number;
  modifyTime: number;
}

describe("friends: friend groups", () => {
  let w: FriendsWorld;
  let me: TestUser;
  let f1: TestUser;
  let f2: TestUser;
  let stranger: TestUser;
  before(async () => {
    w = await FriendsWorld.start();
    me = await w.user();
    f1 = await w.user({ friendsVerify: 0 });
    f2 = await w.user({ friendsVerify: 0 });
    stranger = await w.user();
    await w.befriend(me, f1);
    await w.befriend(me, f2);
  });
  after(() => w.stop());

  const create = (user: TestUser, body: unknown) => w.client.post<Group>("/v1/friend-groups", body, user.token);
  const patch = (user: TestUser, id: string, body: unknown) => w.client.patch<Group>(`/v1/friend-groups/${id}`, body, user.token);
  const list = async (user: TestUser) => (await w.client.get<{ items: Group[] }>("/v1/friend-groups", user.token)).body.items;

  it("creates, lists, renames, replaces members and deletes", async () => {
    const created = await create(me, { groupName: " family ", userIds: [f1.userId] });
    expectOk(created, 201);
    assert.match(created.body.groupId, /^[0-9a-f]{24}$/);
    assert.equal(created.body.groupName, "family");
    assert.deepEqual(created.body.userIds, [f1.userId]);
    const empty = await create(me, { groupName: "empty" });
    expectOk(empty, 201);
    assert.deepEqual(empty.body.userIds, []);
    assert.deepEqual(
      (await list(me)).map((g) => g.groupName),
      ["family", "empty"],
    );
    const id = created.body.groupId;
    const renamed = await patch(me, id, { groupName: "kin", userIds: [f2.userId, f1.userId] });
    expectOk(renamed, 200);
    assert.equal(renamed.body.groupName, "kin");
    assert.deepEqual(renamed.body.userIds, [f2.userId, f1.userId]);
    const same = await patch(me, id, { groupName: "kin" });
    expectOk(same, 200);
    assert.deepEqual(same.body.userIds, [f2.userId, f1.userId], "members stay when only renaming");
    expectOk(await w.client.delete(`/v1/friend-groups/${id}`, me.token), 204);
    expectError(await w.client.delete(`/v1/friend-groups/${id}`, me.token), 404, "FRIEND_GROUP_NOT_FOUND");
    expectOk(await w.client.delete(`/v1/friend-groups/${empty.body.groupId}`, me.token), 204);
    assert.deepEqual(await list(me), []);
  });

  it("members must be my friends, and NOT_FRIENDS names the others", async () => {
    const reply = await create(me, { groupName: "mixed", userIds: [f1.userId, stranger.userId, 2_000_000_001] });
    expectError(reply, 403, "NOT_FRIENDS");
    const issues = (reply.body as unknown as { error: { issues: Array<{ field: string; message: string }> } }).error.issues;
    assert.deepEqual(
      issues.map((issue) => issue.field),
      ["body.userIds.1", "body.userIds.2"],
    );
    assert.match(issues[0]?.message ?? "", new RegExp(String(stranger.userId)));
    assert.deepEqual(await list(me), [], "nothing was created");
    const ok = await create(me, { groupName: "ok", userIds: [f1.userId] });
    expectError(await patch(me, ok.body.groupId, { userIds: [stranger.userId] }), 403, "NOT_FRIENDS");
    assert.deepEqual((await list(me))[0]?.userIds, [f1.userId]);
    expectOk(await w.client.delete(`/v1/friend-groups/${ok.body.groupId}`, me.token), 204);
  });

  it("group names are unique per user, not across users", async () => {
    const first = await create(me, { groupName: "dup" });
    expectOk(first, 201);
    expectError(await create(me, { groupName: "dup" }), 409, "FRIEND_GROUP_NAME_TAKEN");
    expectError(await create(me, { groupName: " dup " }), 409, "FRIEND_GROUP_NAME_TAKEN");
    expectOk(await create(f1, { groupName: "dup" }), 201);
    const other = await create(me, { groupName: "other" });
    expectError(await patch(me, other.body.groupId, { groupName: "dup" }), 409, "FRIEND_GROUP_NAME_TAKEN");
    expectOk(await patch(me, first.body.groupId, { groupName: "dup" }), 200);
    expectOk(await patch(me, first.body.groupId.toUpperCase(), { groupName: "dup" }), 200);
    for (const group of await list(me)) expectOk(await w.client.delete(`/v1/friend-groups/${group.groupId}`, me.token), 204);
  });

  it("another user's group is not found; malformed ids are invalid", async () => {
    const theirs = await create(f2, { groupName: "private", userIds: [me.userId] });
    expectOk(theirs, 201);
    const id = theirs.body.groupId;
    expectError(await patch(me, id, { groupName: "mine now" }), 404, "FRIEND_GROUP_NOT_FOUND");
    expectError(await w.client.delete(`/v1/friend-groups/${id}`, me.token), 404, "FRIEND_GROUP_NOT_FOUND");
    assert.equal((await list(f2))[0]?.groupName, "private");
    expectError(await patch(me, "0123456789abcdef01234567", { groupName: "x" }), 404, "FRIEND_GROUP_NOT_FOUND");
    for (const bad of ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "0123456789abcdef012345678", "%7B%24gt%3A%22%22%7D"]) {
      expectError(await patch(me, bad, { groupName: "x" }), 400, "VALIDATION_FAILED");
      expectError(await w.client.delete(`/v1/friend-groups/${bad}`, me.token), 400, "VALIDATION_FAILED");
    }
  });

  it("rejects bad bodies", async () => {
    const ids = Array.from({ length: 501 }, (_, i) => i + 1);
    for (const body of [
      {},
      { groupName: "" },
      { groupName: "   " },
      { groupName: "x".repeat(21) },
      { groupName: { $ne: null } },
      { groupName: "g", userIds: [f1.userId, f1.userId] },
      { groupName: "g", userIds: ids },
      { groupName: "g", userIds: ["1"] },
      { groupName: "g", userIds: [-1] },
      { groupName: "g", userIds: { $in: [1] } },
    ]) {
      expectError(await create(me, body), 400, "VALIDATION_FAILED");
    }
    const group = await create(me, { groupName: "valid" });
    expectError(await patch(me, group.body.groupId, {}), 400, "VALIDATION_FAILED");
    expectError(await patch(me, group.body.groupId, { groupName: "" }), 400, "VALIDATION_FAILED");
    expectOk(await w.client.delete(`/v1/friend-groups/${group.body.groupId}`, me.token), 204);
  });

  it("allows at most 50 groups, also when created in parallel", async () => {
    const owner = await w.user();
    const replies = await Promise.all(Array.from({ length: 55 }, (_, i) => create(owner, { groupName: `g${i}` })));
    assert.equal(replies.filter((r) => r.status === 201).length, 50);
    for (const reply of replies.filter((r) => r.status !== 201)) expectError(reply, 409, "FRIEND_GROUP_LIMIT");
    assert.equal((await list(owner)).length, 50);
    expectError(await create(owner, { groupName: "one more" }), 409, "FRIEND_GROUP_LIMIT");
  });
});
