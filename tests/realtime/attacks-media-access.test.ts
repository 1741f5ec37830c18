// Attacks on who may fetch or forward media (docs/messaging.md "Media messages", "Who may fetch").
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canAccessUpload, MAX_GRANTS_CHECKED } from "@im/media";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { keyOf, sendRaw } from "../support/messages.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";
import { insertUpload, type UploadRecord } from "../support/upload-records.js";
import type { TestUser } from "../support/users.js";

const MEDIA = "http://media.example.test:8095";

describe("attacks: media access", () => {
  let world: RealtimeWorld;
  let rooms: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", MEDIA_PUBLIC_URL: MEDIA });
    rooms = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const models = () => world.stack.api.deps.models;
  const upload = (record: UploadRecord) => insertUpload(models(), record);
  const mayFetch = async (user: TestUser, uploadId: string) => {
    const found = await models().uploads.findById(uploadId).lean();
    assert.ok(found);
    return canAccessUpload({ models: models(), messages: world.stack.api.deps.messages }, user.userId, found);
  };
  const connect = (user: TestUser) => connectClient(world, user, gateway(world, 0));
  const single = (to: TestUser) => ({ chatType: 1 as const, to: String(to.userId) });
  const received = async (inbox: DeliveredMessage[], messageId: string) => {
    await eventually(`message ${messageId}`, () => inbox.some((m) => m.messageId === messageId));
  };
  const clear = async (user: TestUser, conversationId: string) => {
    const reply = await world.api.delete(`/v1/conversations/${conversationId}`, user.token);
    assert.ok(reply.status === 204 || reply.status === 200, JSON.stringify(reply.body));
  };

  it("single chat: who deletes their copy may no longer fetch, the other party still may", async () => {
    const [alice, bob] = await rooms.users(2);
    const a = await connect(alice);
    const inbox = collect(await connect(bob));
    const image = await upload({ ownerId: alice.userId, kind: "image" });
    const sent = await a.send({ ...single(bob), type: messageType.image, uploadId: image });
    await received(inbox, sent.messageId);
    await clear(bob, sent.conversationId);
    assert.equal(await mayFetch(bob, image), false, "the deleter");
    const carol = await rooms.user();
    assert.equal(
      keyOf(await sendRaw(await connect(bob), { ...single(carol), type: messageType.image, uploadId: image })),
      "UPLOAD_NOT_SHAREABLE",
    );
  });

  it("room: a member who clears the room's conversation may no longer fetch its media (their copy is deleted)", async () => {
    const [owner, member, other] = await rooms.users(3);
    const roomId = await rooms.room(owner, [member]);
    const o = await connect(owner);
    const inbox = collect(await connect(member));
    const image = await upload({ ownerId: owner.userId, kind: "image" });
    const sent = await o.send({ chatType: 2, to: roomId, type: messageType.image, uploadId: image });
    await received(inbox, sent.messageId);
    assert.equal(await mayFetch(member, image), true);
    await clear(member, sent.conversationId);
    assert.equal(await mayFetch(member, image), false, "cleared: the message is gone from their view");
    const m = await connect(member);
    assert.equal(keyOf(await sendRaw(m, { ...single(other), type: messageType.image, uploadId: image })), "UPLOAD_NOT_SHAREABLE");
  });

  it("room: a member who leaves may no longer fetch room media nor forward it; a later joiner may not either", async () => {
    const [owner, member, outsider] = await rooms.users(3);
    const roomId = await rooms.room(owner, [member]);
    const o = await connect(owner);
    const inbox = collect(await connect(member));
    const image = await upload({ ownerId: owner.userId, kind: "image" });
    const sent = await o.send({ chatType: 2, to: roomId, type: messageType.image, uploadId: image });
    await received(inbox, sent.messageId);
    assert.equal((await rooms.remove(member, roomId, member.userId)).status, 204);
    assert.equal(await mayFetch(member, image), false);
    const m = await connect(member);
    assert.equal(keyOf(await sendRaw(m, { ...single(outsider), type: messageType.image, uploadId: image })), "UPLOAD_NOT_SHAREABLE");
    assert.equal(
      keyOf(await sendRaw(await connect(outsider), { ...single(owner), type: messageType.file, uploadId: image })),
      "UPLOAD_NOT_SHAREABLE",
    );
  });

  it("forward chain A→B→C: when A recalls, B and C keep it through B's forward (the documented rule), until B recalls that", async () => {
    const [alice, bob, carol] = await rooms.users(3);
    const a = await connect(alice);
    const b = await connect(bob);
    const image = await upload({ ownerId: alice.userId, kind: "image" });
    const first = await a.send({ ...single(bob), type: messageType.image, uploadId: image });
    const forwarded = await b.send({ ...single(carol), type: messageType.image, uploadId: image });
    assert.ok(forwarded.seq > 0);
    await a.send({ ...single(bob), type: messageType.recall, objectId: first.messageId });
    assert.equal(await mayFetch(bob, image), true, "B is a party of his forward, which is not recalled");
    assert.equal(await mayFetch(carol, image), true, "C's message from B is not recalled");
    // B recalls the forward too: C loses it.
    await b.send({ ...single(carol), type: messageType.recall, objectId: forwarded.messageId });
    assert.equal(await mayFetch(carol, image), false);
    assert.equal(await mayFetch(bob, image), false, "both messages recalled: B too");
  });

  it("an upload shared to someone else, or in a room I am not in, is not mine to send", async () => {
    const [alice, bob, carol, dave] = await rooms.users(4);
    const image = await upload({ ownerId: alice.userId, kind: "image" });
    const a = await connect(alice);
    await a.send({ ...single(bob), type: messageType.image, uploadId: image });
    const roomId = await rooms.room(alice, [dave]);
    await a.send({ chatType: 2, to: roomId, type: messageType.image, uploadId: image });
    const c = await connect(carol);
    for (const type of [messageType.image, messageType.file]) {
      assert.equal(keyOf(await sendRaw(c, { ...single(alice), type, uploadId: image })), "UPLOAD_NOT_SHAREABLE");
    }
    assert.equal(await mayFetch(carol, image), false);
  });

  it("a burnt message's id resent with another upload does not move its grant", async () => {
    const [alice, bob] = await rooms.users(2);
    const a = await connect(alice);
    const b = await connect(bob);
    const inbox = collect(b);
    const first = await upload({ ownerId: alice.userId, kind: "image" });
    const second = await upload({ ownerId: alice.userId, kind: "image" });
    const messageId = crypto.randomUUID();
    const once = await sendRaw(a, { messageId, ...single(bob), type: messageType.image, uploadId: first, isReadDel: true });
    assert.ok(once.ok);
    await received(inbox, messageId);
    await b.send({ ...single(alice), type: messageType.readReceipt, objectId: messageId });
    await eventually("burnt", () => true);
    const deadline = Date.now() + 5000;
    while ((await mayFetch(bob, first)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const again = await sendRaw(a, { messageId, ...single(bob), type: messageType.image, uploadId: second, isReadDel: true });
    assert.notEqual(keyOf(again), "ok", `a resend with another upload: ${JSON.stringify(again)}`);
    const grant = await models().mediaGrants.findById(`${once.receipt.conversationId}:${messageId}`).lean();
    assert.equal(grant?.uploadId, first, "the grant still names the first upload");
  });
});

describe("attacks: flooding an upload's grants", () => {
  let world: RealtimeWorld;
  let rooms: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false" });
    rooms = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  it("a recipient who forwards an image into many messages does not lock later recipients out of it", async () => {
    const models = world.stack.api.deps.models;
    const [alice, bob, carol] = await rooms.users(3);
    const image = await insertUpload(models, { ownerId: alice.userId, kind: "image" });
    const a = await connectClient(world, alice, gateway(world, 0));
    const b = await connectClient(world, bob, gateway(world, 0));
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.image, uploadId: image });
    // Bob may forward it: he does so into more messages than the rule reads (as many sends would leave them).
    const conversationId = `s_${Math.min(alice.userId, bob.userId)}_${Math.max(alice.userId, bob.userId)}`;
    const now = Date.now();
    await models.mediaGrants.insertMany(
      Array.from({ length: MAX_GRANTS_CHECKED + 5 }, (_, i) => {
        const messageId = crypto.randomUUID();
        return {
          _id: `${conversationId}:${messageId}`,
          uploadId: image,
          conversationId,
          messageId,
          fromUserId: bob.userId,
          createTime: now - 10_000 + i,
        };
      }),
    );
    const sent = await b.send({ chatType: 1, to: String(alice.userId), type: messageType.image, uploadId: image });
    assert.ok(sent.seq > 0, "a real forward goes through");
    // Alice now sends her own image to Carol: Carol must be able to fetch it.
    const inbox = collect(await connectClient(world, carol, gateway(world, 0)));
    const toCarol = await a.send({ chatType: 1, to: String(carol.userId), type: messageType.image, uploadId: image });
    await eventually("carol's copy", () => inbox.some((m) => m.messageId === toCarol.messageId));
    const found = await models.uploads.findById(image).lean();
    assert.ok(found);
    assert.equal(await canAccessUpload({ models, messages: world.stack.api.deps.messages }, carol.userId, found), true);
  });
});
