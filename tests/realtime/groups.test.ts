import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient, type ImClientOptions } from "@im/client";
import { type DeliveredMessage, groupConversationId, messageType } from "@im/protocol";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, sendOutcome, startRealtime, texts } from "../support/realtime.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import type { TestUser } from "../support/users.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ofType = (inbox: DeliveredMessage[], type: number) => inbox.filter((m) => m.type === type);

describe("group chat across two gateway processes", () => {
  let world: RealtimeWorld;
  let r: Rooms;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
    r = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const gw = (i: number) => gateway(world, i % 2);
  /** A new device of `user` whose inbox collects from the first synced message on. */
  async function freshDevice(user: TestUser, index: number, options: Partial<ImClientOptions> = {}) {
    const client = new ImClient({ url: gw(index).url, token: user.token, resource: "pc", ...options });
    world.clients.push(client);
    const inbox = collect(client);
    await client.connect();
    return { client, inbox };
  }

  const text = (client: ImClient, roomId: string, content: string) =>
    client.send({ chatType: 2, to: roomId, type: messageType.text, content });

  it("fans every message out once to every device of every member on both gateways, and to the sender's other devices", async () => {
    const [owner, ...members] = await r.users(6);
    const roomId = await r.room(owner, members);
    const ownerPhone = await connectClient(world, owner, gw(0));
    const ownerPc = await connectClient(world, owner, gw(1), { resource: "pc" });
    const memberClients = await Promise.all(members.map((m, i) => connectClient(world, m, gw(i + 1))));
    const secondDevice = await connectClient(world, members[0] as TestUser, gw(0), { resource: "web" });
    const inboxes = new Map<ImClient, DeliveredMessage[]>(
      [ownerPhone, ownerPc, secondDevice, ...memberClients].map((c) => [c, collect(c)]),
    );
    // What reaches each socket, before the SDK drops duplicates: each message must arrive once on the wire too.
    const wire = new Map<ImClient, string[]>();
    for (const client of inboxes.keys()) {
      const seen: string[] = [];
      wire.set(client, seen);
      client.socket.on("message", (m) => {
        if (m.type === messageType.text) seen.push(m.content);
      });
    }

    const sent = [];
    for (let i = 1; i <= 3; i++) sent.push(await text(ownerPhone, roomId, `owner-${i}`));
    sent.push(await text(memberClients[2] as ImClient, roomId, "member-1"));
    assert.deepEqual(
      sent.map((receipt) => receipt.seq),
      [2, 3, 4, 5],
      "seq follows the creation 907 (seq 1)",
    );
    assert.ok(sent.every((receipt) => receipt.conversationId === groupConversationId(roomId) && !receipt.duplicate));

    const expectedFor = (client: ImClient) => {
      if (client === ownerPhone) return ["member-1"];
      if (client === memberClients[2]) return ["owner-1", "owner-2", "owner-3"];
      return ["owner-1", "owner-2", "owner-3", "member-1"];
    };
    await eventually("every device gets every message", () =>
      [...inboxes].every(([client, inbox]) => texts(inbox).length >= expectedFor(client).length),
    );
    await pause(300);
    for (const [client, inbox] of inboxes) {
      assert.deepEqual(texts(inbox), expectedFor(client), "exactly once, in order");
      assert.deepEqual(wire.get(client), expectedFor(client), "once on the wire");
      const copy = inbox.find((m) => m.content === "owner-1");
      if (copy) {
        assert.equal(copy.chatType, 2);
        assert.equal(copy.to, roomId);
        assert.equal(copy.fromUserId, owner.userId);
      }
    }
  });

  it("an offline member syncs the group messages in order on connect", async () => {
    const [owner, a, b] = await r.users(3);
    const roomId = await r.room(owner, [a, b]);
    const sender = await connectClient(world, owner, gw(0));
    const aClient = await connectClient(world, a, gw(1));
    const aInbox = collect(aClient);
    await text(sender, roomId, "m1");
    await eventually("a is online and gets m1", () => texts(aInbox).length === 1);
    aClient.socket.disconnect(); // a goes offline, keeping its cursors
    for (let i = 2; i <= 30; i++) await text(sender, roomId, `m${i}`);
    aClient.socket.connect();
    await eventually("a syncs what it missed on reconnect", () => texts(aInbox).length === 30);
    assert.deepEqual(
      texts(aInbox),
      Array.from({ length: 30 }, (_, i) => `m${i + 1}`),
    );
    const { inbox: all } = await freshDevice(b, 1, { syncLimit: 7 });
    const fresh = all.filter((m) => m.conversationId === groupConversationId(roomId)); // friend notices come too
    assert.deepEqual(
      texts(fresh),
      Array.from({ length: 30 }, (_, i) => `m${i + 1}`),
    );
    assert.deepEqual(
      fresh.map((m) => m.seq),
      Array.from({ length: 31 }, (_, i) => i + 1),
    );
    assert.equal(fresh[0]?.type, 907);
  });

  it("a join's 907 reaches the members and the joiner; the joiner gets nothing from before joining", async () => {
    const [owner, a, joiner] = await r.users(3);
    const roomId = await r.room(owner, [a], { isPublic: 1 });
    const ownerClient = await connectClient(world, owner, gw(0));
    for (let i = 1; i <= 3; i++) await text(ownerClient, roomId, `before-${i}`);
    const aInbox = collect(await connectClient(world, a, gw(1)));
    const joinerClient = await connectClient(world, joiner, gw(0));
    const joinerInbox = collect(joinerClient);
    expectStatus(await r.join(joiner, roomId), 200);
    await eventually("the 907 reaches a and the joiner", () => ofType(aInbox, 907).length === 1 && ofType(joinerInbox, 907).length === 1);
    const event = ofType(joinerInbox, 907)[0] as DeliveredMessage;
    assert.equal(event.fromUserId, 10005);
    assert.deepEqual(JSON.parse(event.content), { roomId, userIds: [joiner.userId], operator: joiner.userId });
    await text(ownerClient, roomId, "after");
    await eventually("the joiner gets later messages", () => texts(joinerInbox).includes("after"));
    assert.deepEqual(texts(joinerInbox), ["after"]);
    // A new device of the joiner syncs from the join on: the 907 and what followed, no history.
    const { inbox: synced } = await freshDevice(joiner, 1);
    assert.deepEqual(
      synced.filter((m) => m.conversationId === groupConversationId(roomId)).map((m) => (m.type === 907 ? "907" : m.content)),
      ["907", "after"],
    );
  });

  it("after leaving or being kicked the user gets the 904 and nothing later, live or by sync", async () => {
    const [owner, leaver, kicked, stays] = await r.users(4);
    const roomId = await r.room(owner, [leaver, kicked, stays]);
    const ownerClient = await connectClient(world, owner, gw(0));
    const leaverInbox = collect(await connectClient(world, leaver, gw(1)));
    const kickedInbox = collect(await connectClient(world, kicked, gw(0)));
    const staysInbox = collect(await connectClient(world, stays, gw(1)));
    expectStatus(await r.remove(leaver, roomId, leaver.userId), 204);
    expectStatus(await r.remove(owner, roomId, kicked.userId), 204);
    await eventually(
      "904s",
      () => ofType(leaverInbox, 904).length === 1 && ofType(kickedInbox, 904).length === 2 && ofType(staysInbox, 904).length === 2,
    );
    const removedOf = (inbox: DeliveredMessage[]) =>
      ofType(inbox, 904).map((m) => JSON.parse(m.content) as { userIds: number[]; operator: number });
    // The leaver gets its own 904; the kicked user, still a member then, the leaver's and its own.
    assert.deepEqual(removedOf(leaverInbox), [{ roomId, userIds: [leaver.userId], operator: leaver.userId }]);
    assert.deepEqual(removedOf(kickedInbox), [
      { roomId, userIds: [leaver.userId], operator: leaver.userId },
      { roomId, userIds: [kicked.userId], operator: owner.userId },
    ]);
    await text(ownerClient, roomId, "later");
    await eventually("the remaining member gets it", () => texts(staysInbox).includes("later"));
    await pause(400);
    assert.deepEqual(texts(leaverInbox), []);
    assert.deepEqual(texts(kickedInbox), []);
    assert.equal(ofType(leaverInbox, 904).length, 1, "no later 904 either");
    // A device that was offline throughout syncs up to the 904 that removed the user, and nothing after.
    const { inbox: synced } = await freshDevice(kicked, 1);
    const roomSynced = synced.filter((m) => m.conversationId === groupConversationId(roomId));
    assert.deepEqual(texts(roomSynced), [], "nothing sent after the removal");
    assert.deepEqual(removedOf(roomSynced).at(-1), { roomId, userIds: [kicked.userId], operator: owner.userId });
    const kickedClient = await connectClient(world, kicked, gw(1), { resource: "mac" });
    assert.equal(await sendOutcome(text(kickedClient, roomId, "let me back")), "NOT_ROOM_MEMBER");
  });

  it("a non-member's send is refused with NOT_ROOM_MEMBER and reaches nobody; unknown rooms → ROOM_NOT_FOUND", async () => {
    const [owner, member, outsider] = await r.users(3);
    const roomId = await r.room(owner, [member]);
    const ownerInbox = collect(await connectClient(world, owner, gw(0)));
    const memberInbox = collect(await connectClient(world, member, gw(1)));
    const outsiderClient = await connectClient(world, outsider, gw(0));
    assert.equal(await sendOutcome(text(outsiderClient, roomId, "spam")), "NOT_ROOM_MEMBER");
    assert.equal(await sendOutcome(text(outsiderClient, "0123456789abcdef01234567", "x")), "ROOM_NOT_FOUND");
    assert.equal(await sendOutcome(text(outsiderClient, "not-a-room", "x")), "ROOM_NOT_FOUND");
    await pause(400);
    assert.deepEqual(texts(ownerInbox), []);
    assert.deepEqual(texts(memberInbox), []);
    const stored = await world.stack.api.deps.messages.shards
      .all()
      .reduce(async (sum, model) => (await sum) + (await model.countDocuments({ content: "spam" })), Promise.resolve(0));
    assert.equal(stored, 0);
  });

  it("room-wide mute silences plain members (owner and admins still speak); a member mute silences that member", async () => {
    const [owner, admin, member, other] = await r.users(4);
    const roomId = await r.room(owner, [admin, member, other]);
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    const ownerClient = await connectClient(world, owner, gw(0));
    const adminClient = await connectClient(world, admin, gw(1));
    const memberClient = await connectClient(world, member, gw(0));
    const otherClient = await connectClient(world, other, gw(1));
    const otherInbox = collect(otherClient);

    expectStatus(await r.patch(owner, roomId, { talkTime: Date.now() + 60_000 }), 200);
    await eventually("the 906 arrives", () => ofType(otherInbox, 906).length === 1);
    assert.equal(await sendOutcome(text(memberClient, roomId, "muted")), "ROOM_MUTED");
    assert.equal(await sendOutcome(text(otherClient, roomId, "muted too")), "ROOM_MUTED");
    await text(ownerClient, roomId, "owner speaks");
    await text(adminClient, roomId, "admin speaks");
    expectStatus(await r.patch(owner, roomId, { talkTime: 0 }), 200);
    await text(memberClient, roomId, "member again");

    expectStatus(await r.putMember(admin, roomId, member.userId, { talkTime: Date.now() + 60_000 }), 200);
    assert.equal(await sendOutcome(text(memberClient, roomId, "still muted")), "ROOM_MUTED");
    await text(otherClient, roomId, "other speaks");
    expectStatus(await r.putMember(owner, roomId, member.userId, { talkTime: 0 }), 200);
    await text(memberClient, roomId, "member back");
    await eventually("other sees the allowed messages", () => texts(otherInbox).length === 4);
    assert.deepEqual(texts(otherInbox), ["owner speaks", "admin speaks", "member again", "member back"]);
  });

  it("deleting a room sends a 903 to every member, then sends fail with ROOM_NOT_FOUND", async () => {
    const [owner, a, b] = await r.users(3);
    const roomId = await r.room(owner, [a, b]);
    const ownerClient = await connectClient(world, owner, gw(0));
    const aClient = await connectClient(world, a, gw(1));
    const inboxes = [collect(ownerClient), collect(aClient), collect(await connectClient(world, b, gw(0)))];
    expectStatus(await r.delete(owner, roomId), 204);
    await eventually("every member gets the 903", () => inboxes.every((inbox) => ofType(inbox, 903).length === 1));
    assert.equal(await sendOutcome(text(aClient, roomId, "hello?")), "ROOM_NOT_FOUND");
    assert.equal(await sendOutcome(text(ownerClient, roomId, "hello?")), "ROOM_NOT_FOUND");
  });

  it("a resent messageId is stored and counted once", async () => {
    const [owner, a] = await r.users(2);
    const roomId = await r.room(owner, [a]);
    const ownerClient = await connectClient(world, owner, gw(0));
    const aInbox = collect(await connectClient(world, a, gw(1)));
    const messageId = crypto.randomUUID();
    const payload = { messageId, chatType: 2 as const, to: roomId, type: 1, content: "once" };
    const first = await ownerClient.send(payload);
    const again = await ownerClient.socket.timeout(5_000).emitWithAck("message:send", payload);
    assert.ok(again.ok);
    assert.equal(again.receipt.seq, first.seq);
    assert.equal(again.receipt.duplicate, true);
    await pause(300);
    assert.equal(texts(aInbox).length, 1);
  });

  it("a member cannot blank another's room message by reusing a messageId as a recall (MESSAGE_ID_REUSED)", async () => {
    const [owner, a] = await r.users(2);
    const roomId = await r.room(owner, [a]);
    const ownerClient = await connectClient(world, owner, gw(0));
    const aClient = await connectClient(world, a, gw(1));
    const notice = await text(ownerClient, roomId, "the owner's notice");
    const messageId = crypto.randomUUID();
    const first = await aClient.socket
      .timeout(5_000)
      .emitWithAck("message:send", { messageId, chatType: 2, to: roomId, type: 1, content: "hi" });
    assert.ok(first.ok);
    const forged = await aClient.socket
      .timeout(5_000)
      .emitWithAck("message:send", { messageId, chatType: 2, to: roomId, type: messageType.recall, objectId: notice.messageId });
    assert.equal(forged.ok ? "ok" : forged.error.key, "MESSAGE_ID_REUSED");
    const reply = await world.api.get<{ messages: DeliveredMessage[] }>(
      `/v1/conversations/${groupConversationId(roomId)}/messages?limit=100`,
      owner.token,
    );
    const kept = reply.body.messages.find((m) => m.messageId === notice.messageId);
    assert.equal(kept?.content, "the owner's notice");
    assert.equal(kept?.recalled, undefined);
  });
});
