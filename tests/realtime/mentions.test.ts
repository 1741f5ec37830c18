import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { type DeliveredMessage, groupConversationId, MAX_AT_USERS, messageType } from "@im/protocol";
import { PUSH_EVENTS_STREAM, type PushEvent } from "@im/push";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, sendOutcome, startRealtime } from "../support/realtime.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import type { TestUser } from "../support/users.js";

/** Polls `read` until `ok` holds for its value; fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The queued push events of one message (the stream the push app reads). */
async function pushEventsOf(world: RealtimeWorld, messageId: string): Promise<PushEvent[]> {
  const entries = await world.stack.api.deps.redis.xrange(PUSH_EVENTS_STREAM, "-", "+");
  return entries.map(([, fields]) => JSON.parse(fields[1] ?? "{}") as PushEvent).filter((event) => event.messageId === messageId);
}

describe("@mentions in rooms: checked, stored, delivered, synced, listed and queued for push", () => {
  let world: RealtimeWorld;
  let r: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
    r = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const gw = () => gateway(world, 0);

  /** A room of owner, admin and two members, with every one's device connected. */
  async function roomWorld() {
    const [owner, admin, m1, m2, outsider] = await r.users(5);
    const roomId = await r.room(owner, [admin, m1, m2]);
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    const clients = new Map<TestUser, ImClient>();
    for (const user of [owner, admin, m1, m2, outsider]) clients.set(user, await connectClient(world, user, gw()));
    const client = (user: TestUser) => clients.get(user) as ImClient;
    return { owner, admin, m1, m2, outsider, roomId, client };
  }

  const history = async (user: TestUser, roomId: string) => {
    const reply = await world.api.get<{ messages: DeliveredMessage[] }>(
      `/v1/conversations/${groupConversationId(roomId)}/messages`,
      user.token,
    );
    expectStatus(reply, 200);
    return reply.body.messages;
  };

  it("delivers, syncs and lists a member's mentions (duplicates dropped) and queues them on the push event", async () => {
    const { owner, m1, m2, roomId, client } = await roomWorld();
    const inbox = collect(client(m2));
    const messageId = crypto.randomUUID();
    const receipt = await client(m1).send({
      messageId,
      chatType: 2,
      to: roomId,
      type: messageType.text,
      content: "@m2 @owner look",
      atUserIds: [m2.userId, owner.userId, m2.userId],
    });
    assert.equal(receipt.duplicate, false);
    await eventually("m2 gets the message", () => inbox.some((m) => m.messageId === messageId));
    const live = inbox.find((m) => m.messageId === messageId);
    assert.deepEqual(live?.atUserIds, [m2.userId, owner.userId], "delivered with the mentions, each once");
    assert.equal(live?.atAll, undefined);

    // A device that connects later gets it by sync, and REST history lists it, mentions included.
    const laterDevice = new ImClient({ url: gw().url, token: m2.token, resource: "pc" });
    world.clients.push(laterDevice);
    const synced = collect(laterDevice);
    await laterDevice.connect();
    await eventually("the new device syncs it", () => synced.some((m) => m.messageId === messageId));
    assert.deepEqual(synced.find((m) => m.messageId === messageId)?.atUserIds, [m2.userId, owner.userId]);
    const listed = (await history(owner, roomId)).find((m) => m.messageId === messageId);
    assert.deepEqual(listed?.atUserIds, [m2.userId, owner.userId]);

    // The gateway queued one push event for it: every member but the sender, the mentions and the sending session.
    const events = await waitFor(
      "the push event is queued",
      () => pushEventsOf(world, messageId),
      (found) => found.length > 0,
    );
    assert.equal(events.length, 1);
    const [event] = events;
    assert.deepEqual(event?.atUserIds, [m2.userId, owner.userId]);
    assert.equal(event?.fromUserId, m1.userId);
    assert.ok(event?.fromSessionId, "the sending session is named, so its own devices are spared");
    assert.ok(!event?.recipients.includes(m1.userId), "the sender is not a recipient");
    assert.equal(event?.recipients.length, 3);
    assert.equal(event?.text, "@m2 @owner look");

    // A resend of the same message is acknowledged as a duplicate and queued again (the push app sends once per device).
    const again = await client(m1).send({
      messageId,
      chatType: 2,
      to: roomId,
      type: messageType.text,
      content: "@m2 @owner look",
      atUserIds: [m2.userId, owner.userId],
    });
    assert.equal(again.duplicate, true);
    await waitFor(
      "the resend is queued",
      () => pushEventsOf(world, messageId),
      (found) => found.length === 2,
    );
  });

  it("lets the owner and admins @everyone and refuses it from a plain member with MENTION_ALL_NOT_ALLOWED", async () => {
    const { owner, admin, m1, m2, roomId, client } = await roomWorld();
    const inbox = collect(client(m2));
    const send = (user: TestUser, content: string) =>
      client(user).send({ chatType: 2, to: roomId, type: messageType.text, content, atAll: true });
    assert.equal(await sendOutcome(send(m1, "everyone!")), "MENTION_ALL_NOT_ALLOWED");
    await send(owner, "owner to everyone");
    await send(admin, "admin to everyone");
    await eventually("both arrive", () => inbox.filter((m) => m.atAll === true).length === 2);
    assert.deepEqual(
      inbox.filter((m) => m.type === messageType.text).map((m) => [m.content, m.atAll]),
      [
        ["owner to everyone", true],
        ["admin to everyone", true],
      ],
      "the refused one was neither stored nor delivered",
    );
    const listed = await history(m2, roomId);
    assert.ok(!listed.some((m) => m.content === "everyone!"));
    assert.equal(listed.find((m) => m.content === "admin to everyone")?.atAll, true);
    // atAll: false is no mention at all: any member may send it, and it is stored without the flag.
    await client(m1).send({ chatType: 2, to: roomId, type: messageType.text, content: "plain", atAll: false });
    const plain = (await history(m2, roomId)).find((m) => m.content === "plain");
    assert.ok(plain);
    assert.equal(plain.atAll, undefined);
  });

  it("refuses mentions of non-members (also one just removed) with MENTION_NOT_MEMBER", async () => {
    const { owner, m1, m2, outsider, roomId, client } = await roomWorld();
    const mention = (ids: number[]) =>
      sendOutcome(client(m1).send({ chatType: 2, to: roomId, type: messageType.text, content: "hey", atUserIds: ids }));
    assert.equal(await mention([outsider.userId]), "MENTION_NOT_MEMBER");
    assert.equal(await mention([m2.userId, outsider.userId]), "MENTION_NOT_MEMBER");
    assert.equal(await mention([m2.userId]), "sent");
    expectStatus(await r.remove(owner, roomId, m2.userId), 204);
    assert.equal(await mention([m2.userId]), "MENTION_NOT_MEMBER", "the gateway's cached room knows at once");
    assert.equal((await history(owner, roomId)).filter((m) => m.content === "hey").length, 1, "only the valid one is stored");
  });

  it("refuses mentions outside room text messages with MENTION_NOT_ALLOWED, and too many with VALIDATION_FAILED", async () => {
    const { owner, m1, m2, roomId, client } = await roomWorld();
    const single = client(m1).send({ chatType: 1, to: String(m2.userId), type: messageType.text, content: "hi", atUserIds: [m2.userId] });
    assert.equal(await sendOutcome(single), "MENTION_NOT_ALLOWED");
    const location = client(m1).send({
      chatType: 2,
      to: roomId,
      type: messageType.location,
      content: "here",
      location: { x: 1, y: 2 },
      atUserIds: [m2.userId],
    });
    assert.equal(await sendOutcome(location), "MENTION_NOT_ALLOWED");
    const typing = client(m1).send({ chatType: 2, to: roomId, type: messageType.typing, content: "", atAll: true });
    assert.equal(await sendOutcome(typing), "MENTION_NOT_ALLOWED", "relayed types too");
    const tooMany = Array.from({ length: MAX_AT_USERS + 1 }, (_, i) => i + 1);
    const big = client(owner).send({ chatType: 2, to: roomId, type: messageType.text, content: "all", atUserIds: tooMany });
    assert.equal(await sendOutcome(big), "VALIDATION_FAILED");
    // The same single chat text without mentions goes through.
    assert.equal(await sendOutcome(client(m1).send({ chatType: 1, to: String(m2.userId), type: messageType.text, content: "hi" })), "sent");
  });
});
