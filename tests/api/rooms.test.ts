import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { groupModelOf } from "@im/messaging";
import { groupConversationId } from "@im/protocol";
import { ApiClient, errorOf } from "../support/client.js";
import { expectError } from "../support/friends.js";
import { expectStatus, ids, type Page, Rooms, type RoomView } from "../support/rooms.js";
import { startStack, type TestStack } from "../support/stack.js";

describe("rooms: lifecycle, membership and roles", () => {
  let stack: TestStack;
  let r: Rooms;
  before(async () => {
    stack = await startStack();
    r = new Rooms(stack, new ApiClient(stack.api.url));
  });
  after(() => stack.stop());

  /** The room notices stored in the room's conversation, as [type, parsed content]. */
  async function events(roomId: string): Promise<Array<[number, Record<string, unknown>]>> {
    const docs = await groupModelOf(stack.api.deps.messages, roomId)
      .find({ ownerId: 0, conversationId: groupConversationId(roomId) })
      .sort({ seq: 1 })
      .lean();
    return docs.map((d) => {
      assert.equal(d.fromUserId, 10005);
      return [d.type, JSON.parse(d.content) as Record<string, unknown>];
    });
  }

  it("creates a room with invited friends: owner role 1, members role 3, one 907 naming everyone", async () => {
    const [owner, a, b] = await r.users(3);
    await r.befriend(owner, a, b);
    const reply = await r.create(owner, { name: "  Team  ", desc: "d", userIds: [a.userId, b.userId], showRead: 1 });
    expectStatus(reply, 201);
    const room = reply.body;
    assert.match(room.roomId, /^[0-9a-f]{32}$/);
    assert.equal(room.name, "Team");
    assert.equal(room.ownerId, owner.userId);
    assert.equal(room.userSize, 3);
    assert.equal(room.maxUserSize, 1000);
    assert.equal(room.showRead, 1);
    assert.equal(room.isNeedVerify, 0);
    assert.equal(room.isPublic, 0, "rooms are private unless made public");
    assert.equal(room.role, 1);
    await r.expectSize(room.roomId, 3);
    const members = await r.client.get<Page<{ userId: number; role: number; nickname: string }>>(
      `/v1/rooms/${room.roomId}/members`,
      a.token,
    );
    expectStatus(members, 200);
    assert.deepEqual(
      members.body.items.map((m) => [m.userId, m.role]).sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0)),
      [
        [owner.userId, 1],
        [a.userId, 3],
        [b.userId, 3],
      ].sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0)),
    );
    assert.equal(members.body.items.find((m) => m.userId === a.userId)?.nickname, a.nickname);
    const stored = await events(room.roomId);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.[0], 907);
    assert.deepEqual(stored[0]?.[1], { roomId: room.roomId, userIds: [owner.userId, a.userId, b.userId], operator: owner.userId });
    // Each member's conversation list has the room, from seq 0 (the 907 is theirs).
    const convs = await stack.api.deps.messages.conversations.find({ conversationId: groupConversationId(room.roomId) }).lean();
    assert.deepEqual(
      convs.map((c) => c.userId).sort((x, y) => x - y),
      ids(owner, a, b),
    );
    assert.ok(convs.every((c) => c.clearedSeq === 0 && c.chatType === 2 && c.peer === room.roomId));
  });

  it("only adds friends of the creator (NOT_FRIENDS naming each stranger) and creates nothing then", async () => {
    const [owner, friend, stranger] = await r.users(3);
    await r.befriend(owner, friend);
    const before = await r.models.rooms.countDocuments({ ownerId: owner.userId });
    const reply = await r.create(owner, { name: "x", userIds: [friend.userId, stranger.userId] });
    expectError(reply, 403, "NOT_FRIENDS");
    assert.deepEqual(
      errorOf(reply).issues?.map((i) => i.field),
      ["body.userIds.1"],
    );
    assert.equal(await r.models.rooms.countDocuments({ ownerId: owner.userId }), before);
  });

  it("lists my rooms, gets one for members only, and hides deleted and foreign rooms", async () => {
    const [owner, a, outsider] = await r.users(3);
    const first = await r.room(owner, [a]);
    const second = await r.room(owner);
    const mine = await r.client.get<Page<RoomView>>("/v1/rooms?pageSize=1", owner.token);
    expectStatus(mine, 200);
    assert.equal(mine.body.items.length, 1);
    assert.equal(mine.body.hasMore, true);
    const all = await r.client.get<Page<RoomView>>("/v1/rooms", owner.token);
    assert.deepEqual(new Set(all.body.items.map((x) => x.roomId)), new Set([first, second]));
    const theirs = await r.client.get<Page<RoomView>>("/v1/rooms", a.token);
    assert.deepEqual(
      theirs.body.items.map((x) => [x.roomId, x.role]),
      [[first, 3]],
    );
    expectStatus(await r.get(a, first), 200);
    expectError(await r.get(outsider, first), 404, "ROOM_NOT_FOUND");
    expectError(await r.client.get(`/v1/rooms/${first}/members`, outsider.token), 404, "ROOM_NOT_FOUND");
    expectError(await r.get(owner, "0123456789abcdef01234567"), 404, "ROOM_NOT_FOUND");
    expectStatus(await r.delete(owner, second), 204);
    expectError(await r.get(owner, second), 404, "ROOM_NOT_FOUND");
    const after = await r.client.get<Page<RoomView>>("/v1/rooms", owner.token);
    assert.deepEqual(
      after.body.items.map((x) => x.roomId),
      [first],
    );
  });

  it("joins an open room (907 to everyone), refuses a second join and a full room", async () => {
    const [owner, a, b, c] = await r.users(4);
    const roomId = await r.room(owner, [], { maxUserSize: 3, isPublic: 1 });
    const joined = await r.join(a, roomId);
    expectStatus(joined, 200);
    assert.deepEqual(joined.body, { status: "joined" });
    expectError(await r.join(a, roomId), 409, "ALREADY_ROOM_MEMBER");
    expectStatus(await r.join(b, roomId), 200);
    expectError(await r.join(c, roomId), 409, "ROOM_FULL");
    await r.expectSize(roomId, 3);
    assert.deepEqual(await r.memberIds(owner, roomId), ids(owner, a, b));
    const stored = await events(roomId);
    assert.deepEqual(
      stored.map(([type, content]) => [type, content.userIds, content.operator]),
      [
        [907, [owner.userId], owner.userId],
        [907, [a.userId], a.userId],
        [907, [b.userId], b.userId],
      ],
    );
    // a's conversation starts after the creation's 907 (seq 1): no history from before joining.
    const conv = await stack.api.deps.messages.conversations
      .findOne({ userId: a.userId, conversationId: groupConversationId(roomId) })
      .lean();
    assert.equal(conv?.clearedSeq, 1);
    const member = await r.models.roomMembers.findOne({ roomId, userId: b.userId }).lean();
    assert.equal(member?.joinSeq, 2);
  });

  it("verify rooms: join is a pending request an owner or admin approves (907) or rejects", async () => {
    const [owner, admin, member, asker, other] = await r.users(5);
    const roomId = await r.room(owner, [admin, member], { isNeedVerify: 1, isPublic: 1 });
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    const asked = await r.join(asker, roomId, { reason: "let me in" });
    expectStatus(asked, 202);
    assert.deepEqual(asked.body, { status: "pending" });
    expectStatus(await r.join(asker, roomId), 202); // asking again is still pending
    expectStatus(await r.join(other, roomId), 202);
    expectError(await r.get(asker, roomId), 404, "ROOM_NOT_FOUND");
    const listed = await r.client.get<Page<{ userId: number; reason: string }>>(`/v1/rooms/${roomId}/join-requests`, admin.token);
    expectStatus(listed, 200);
    assert.deepEqual(
      listed.body.items.map((x) => [x.userId, x.reason]),
      [
        [asker.userId, "let me in"],
        [other.userId, ""],
      ],
    );
    expectError(await r.client.get(`/v1/rooms/${roomId}/join-requests`, member.token), 403, "ROOM_PERMISSION_DENIED");
    expectError(
      await r.client.post(`/v1/rooms/${roomId}/join-requests/${asker.userId}/approve`, undefined, member.token),
      403,
      "ROOM_PERMISSION_DENIED",
    );
    expectStatus(await r.client.post(`/v1/rooms/${roomId}/join-requests/${asker.userId}/approve`, undefined, admin.token), 204);
    expectError(
      await r.client.post(`/v1/rooms/${roomId}/join-requests/${asker.userId}/approve`, undefined, admin.token),
      404,
      "JOIN_REQUEST_NOT_FOUND",
    );
    expectStatus(await r.client.delete(`/v1/rooms/${roomId}/join-requests/${other.userId}`, owner.token), 204);
    expectError(await r.client.delete(`/v1/rooms/${roomId}/join-requests/${other.userId}`, owner.token), 404, "JOIN_REQUEST_NOT_FOUND");
    assert.deepEqual(await r.memberIds(owner, roomId), ids(owner, admin, member, asker));
    await r.expectSize(roomId, 4);
    const last = (await events(roomId)).at(-1);
    assert.deepEqual(last, [907, { roomId, userIds: [asker.userId], operator: admin.userId }]);
    // Plain members may not invite into a verify room; admins may.
    await r.befriend(member, other);
    expectError(await r.invite(member, roomId, [other.userId]), 403, "ROOM_PERMISSION_DENIED");
    await r.befriend(admin, other);
    expectStatus(await r.invite(admin, roomId, [other.userId]), 200);
  });

  it("invites friends (members may, in open rooms), skipping existing members; strangers → NOT_FRIENDS, non-members → ROOM_NOT_FOUND", async () => {
    const [owner, a, b, c, stranger] = await r.users(5);
    const roomId = await r.room(owner, [a]);
    await r.befriend(a, b, c);
    const reply = await r.invite(a, roomId, [b.userId, owner.userId, c.userId]);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body.added, [b.userId, c.userId]);
    const again = await r.invite(a, roomId, [b.userId]);
    assert.deepEqual(again.body.added, []);
    expectError(await r.invite(a, roomId, [stranger.userId]), 403, "NOT_FRIENDS");
    expectError(await r.invite(stranger, roomId, [a.userId]), 404, "ROOM_NOT_FOUND");
    await r.befriend(stranger, a);
    expectError(await r.invite(stranger, roomId, [a.userId]), 404, "ROOM_NOT_FOUND");
    await r.expectSize(roomId, 4);
    assert.deepEqual((await events(roomId)).at(-1), [907, { roomId, userIds: [b.userId, c.userId], operator: a.userId }]);
  });

  it("leaving and kicking: 904, conversation dropped; owner cannot leave; admins cannot kick admins or the owner", async () => {
    const [owner, admin1, admin2, m1, m2, m3] = await r.users(6);
    const roomId = await r.room(owner, [admin1, admin2, m1, m2, m3], { isPublic: 1 });
    for (const admin of [admin1, admin2]) expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    expectError(await r.remove(owner, roomId, owner.userId), 403, "CANNOT_REMOVE_OWNER");
    expectError(await r.remove(admin1, roomId, owner.userId), 403, "CANNOT_REMOVE_OWNER");
    expectError(await r.remove(admin1, roomId, admin2.userId), 403, "ROOM_PERMISSION_DENIED");
    expectError(await r.remove(m1, roomId, m2.userId), 403, "ROOM_PERMISSION_DENIED");
    expectStatus(await r.remove(m1, roomId, m1.userId), 204); // leave
    expectError(await r.remove(m1, roomId, m1.userId), 404, "ROOM_NOT_FOUND");
    expectStatus(await r.remove(admin1, roomId, m2.userId), 204); // admin kicks a member
    expectError(await r.remove(admin1, roomId, m2.userId), 403, "NOT_ROOM_MEMBER");
    expectStatus(await r.remove(owner, roomId, admin2.userId), 204); // owner kicks an admin
    assert.deepEqual(await r.memberIds(owner, roomId), ids(owner, admin1, m3));
    await r.expectSize(roomId, 3);
    const removals = (await events(roomId)).filter(([type]) => type === 904).map(([, c]) => [c.userIds, c.operator]);
    assert.deepEqual(removals, [
      [[m1.userId], m1.userId],
      [[m2.userId], admin1.userId],
      [[admin2.userId], owner.userId],
    ]);
    const convs = await stack.api.deps.messages.conversations.find({ conversationId: groupConversationId(roomId) }).lean();
    assert.deepEqual(
      convs
        .filter((c) => !c.endSeq)
        .map((c) => c.userId)
        .sort((x, y) => x - y),
      ids(owner, admin1, m3),
    );
    // Removed members keep the conversation up to the 904 that removed them, so offline ones learn of it.
    assert.deepEqual(
      convs
        .filter((c) => c.endSeq > 0)
        .map((c) => c.userId)
        .sort((x, y) => x - y),
      ids(m1, m2, admin2).sort((x, y) => x - y),
    );
    // Rejoining starts a fresh conversation after the current seq.
    expectStatus(await r.join(m1, roomId), 200);
    const conv = await stack.api.deps.messages.conversations
      .findOne({ userId: m1.userId, conversationId: groupConversationId(roomId) })
      .lean();
    assert.equal(conv?.clearedSeq, (await events(roomId)).length - 1);
    assert.equal(conv?.endSeq, 0, "a member again");
  });

  it("PATCH changes settings (owner/admin) with 902, 905, 906, 915; maxUserSize is owner-only and bounded", async () => {
    const [owner, admin, member] = await r.users(3);
    const roomId = await r.room(owner, [admin, member]);
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    expectError(await r.patch(member, roomId, { name: "nope" }), 403, "ROOM_PERMISSION_DENIED");
    const until = Date.now() + 60_000;
    const reply = await r.patch(admin, roomId, {
      name: "New",
      desc: "about",
      notice: "read me",
      talkTime: until,
      showRead: 1,
      isNeedVerify: 1,
    });
    expectStatus(reply, 200);
    assert.equal(reply.body.name, "New");
    assert.equal(reply.body.desc, "about");
    assert.equal(reply.body.notice, "read me");
    assert.equal(reply.body.talkTime, until);
    assert.equal(reply.body.showRead, 1);
    assert.equal(reply.body.isNeedVerify, 1);
    assert.equal(reply.body.role, 2);
    const tail = (await events(roomId)).slice(-4);
    assert.deepEqual(tail, [
      [902, { roomId, userIds: [], operator: admin.userId, name: "New" }],
      [905, { roomId, userIds: [], operator: admin.userId, notice: "read me" }],
      [906, { roomId, userIds: [], operator: admin.userId, talkTime: until }],
      [915, { roomId, userIds: [], operator: admin.userId, showRead: 1 }],
    ]);
    const count = (await events(roomId)).length;
    expectStatus(await r.patch(admin, roomId, { name: "New" }), 200); // no change, no notice
    assert.equal((await events(roomId)).length, count);
    expectError(await r.patch(admin, roomId, { maxUserSize: 50 }), 403, "ROOM_PERMISSION_DENIED");
    expectError(await r.patch(owner, roomId, { maxUserSize: 2 }), 409, "ROOM_FULL");
    const capped = await r.patch(owner, roomId, { maxUserSize: 5000 });
    expectStatus(capped, 200);
    assert.equal(capped.body.maxUserSize, 1000, "capped by API_ROOM_MAX_USER_SIZE");
    assert.equal((await r.patch(owner, roomId, { maxUserSize: 3 })).body.maxUserSize, 3);
    expectError(await r.patch(owner, roomId, {}), 400, "VALIDATION_FAILED");
  });

  it("PUT member: role by owner only (913), mute by owner/admin over lower roles (906), own nickname (901)", async () => {
    const [owner, admin, m1, m2] = await r.users(4);
    const roomId = await r.room(owner, [admin, m1, m2]);
    expectError(await r.putMember(admin, roomId, m1.userId, { role: 2 }), 403, "ROOM_PERMISSION_DENIED");
    const promoted = await r.putMember(owner, roomId, admin.userId, { role: 2 });
    expectStatus(promoted, 200);
    assert.equal(promoted.body.role, 2);
    expectError(await r.putMember(owner, roomId, owner.userId, { role: 3 }), 403, "ROOM_PERMISSION_DENIED");
    expectError(await r.putMember(owner, roomId, owner.userId, { role: 1 }), 400, "VALIDATION_FAILED");
    const until = Date.now() + 60_000;
    const muted = await r.putMember(admin, roomId, m1.userId, { talkTime: until });
    expectStatus(muted, 200);
    assert.equal(muted.body.talkTime, until);
    expectError(await r.putMember(admin, roomId, owner.userId, { talkTime: until }), 403, "ROOM_PERMISSION_DENIED");
    expectError(await r.putMember(m2, roomId, m1.userId, { talkTime: 0 }), 403, "ROOM_PERMISSION_DENIED");
    expectStatus(await r.putMember(owner, roomId, admin.userId, { talkTime: until }), 200);
    expectError(await r.putMember(m2, roomId, m1.userId, { nickname: "x" }), 403, "ROOM_PERMISSION_DENIED");
    const named = await r.putMember(m2, roomId, m2.userId, { nickname: "Boss" });
    expectStatus(named, 200);
    assert.equal(named.body.nickname, "Boss");
    expectError(await r.putMember(owner, roomId, 2_000_000_000, { talkTime: 0 }), 403, "NOT_ROOM_MEMBER");
    const tail = (await events(roomId)).slice(-4).map(([type, c]) => [type, c.userIds, c.operator]);
    assert.deepEqual(tail, [
      [913, [admin.userId], owner.userId],
      [906, [m1.userId], admin.userId],
      [906, [admin.userId], owner.userId],
      [901, [m2.userId], m2.userId],
    ]);
    const demoted = await r.putMember(owner, roomId, admin.userId, { role: 3 });
    assert.equal(demoted.body.role, 3);
  });

  it("deleting a room: owner only, 903 to all, then members and requests are gone and conversations end at the 903", async () => {
    const [owner, a, b] = await r.users(3);
    const roomId = await r.room(owner, [a, b]);
    expectError(await r.delete(a, roomId), 403, "ROOM_PERMISSION_DENIED");
    expectStatus(await r.delete(owner, roomId), 204);
    assert.deepEqual((await events(roomId)).at(-1), [903, { roomId, userIds: [], operator: owner.userId }]);
    assert.equal(await r.models.roomMembers.countDocuments({ roomId }), 0);
    const deleted = (await stack.api.deps.messages.conversations.find({ conversationId: groupConversationId(roomId) }).lean()).map(
      (c) => c.endSeq,
    );
    assert.equal(deleted.length, 3);
    assert.ok(
      deleted.every((endSeq) => endSeq === deleted[0] && endSeq > 0),
      "every member's conversation ends at the 903",
    );
    const room = await r.models.rooms.findOne({ roomId }).lean();
    assert.equal(room?.status, -1);
    assert.equal(room?.userSize, 0);
    expectError(await r.delete(owner, roomId), 404, "ROOM_NOT_FOUND");
    expectError(await r.join(a, roomId), 404, "ROOM_NOT_FOUND");
    expectError(await r.invite(owner, roomId, [a.userId]), 404, "ROOM_NOT_FOUND");
    expectError(await r.patch(owner, roomId, { name: "x" }), 404, "ROOM_NOT_FOUND");
  });
});
