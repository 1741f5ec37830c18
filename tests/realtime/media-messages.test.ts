// Issue 11 §2: media messages reference only uploads their sender may share; recipients get URLs they can
// fetch; a recalled or burned message's media stop being served to them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { canAccessUpload } from "@im/media";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { historyOf, keyOf, sendRaw } from "../support/messages.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";
import { insertUpload, type UploadRecord } from "../support/upload-records.js";
import type { TestUser } from "../support/users.js";

const MEDIA = "http://media.example.test:8094";

describe("media messages (types 2, 3, 5, 6, 7, 9 carry an upload)", () => {
  let world: RealtimeWorld;
  let rooms: Rooms;
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", MEDIA_PUBLIC_URL: `${MEDIA}/` });
    rooms = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const models = () => world.stack.api.deps.models;
  const upload = (record: UploadRecord) => insertUpload(models(), record);
  /** The one access rule of @im/media, on the stored data (what the upload app asks before serving). */
  const mayFetch = async (user: TestUser, uploadId: string) => {
    const found = await models().uploads.findById(uploadId).lean();
    assert.ok(found, `upload ${uploadId} exists`);
    return canAccessUpload({ models: models(), messages: world.stack.api.deps.messages }, user.userId, found);
  };
  const connect = (user: TestUser) => connectClient(world, user, gateway(world, 0));
  const single = (to: TestUser) => ({ chatType: 1 as const, to: String(to.userId) });
  const received = async (inbox: DeliveredMessage[], messageId: string) => {
    await eventually(`message ${messageId}`, () => inbox.some((m) => m.messageId === messageId));
    const found = inbox.find((m) => m.messageId === messageId);
    assert.ok(found);
    return found;
  };

  it("refuses a media type without an upload, an upload on another type, an unknown, pending or expired upload, someone else's, and a kind that does not fit", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connect(alice);
    const image = await upload({ ownerId: alice.userId, kind: "image" });
    const voice = await upload({ ownerId: alice.userId, kind: "voice", duration: 3000 });
    const avatar = await upload({ ownerId: alice.userId, kind: "avatar" });
    const pdf = await upload({ ownerId: alice.userId, kind: "file", contentType: "application/pdf" });
    const pending = await upload({ ownerId: alice.userId, kind: "image", status: "pending" });
    const expired = await upload({ ownerId: alice.userId, kind: "image", expireTime: Date.now() - 1000 });
    const bobs = await upload({ ownerId: bob.userId, kind: "image" });
    const to = single(bob);
    const outcome = async (message: Parameters<typeof sendRaw>[1]) => {
      const result = await sendRaw(a, message);
      return result.ok ? "ok" : `${result.error.key}${result.error.issues?.map((i) => `:${i.field}`).join("") ?? ""}`;
    };

    assert.equal(await outcome({ ...to, type: messageType.image }), "VALIDATION_FAILED:uploadId");
    assert.equal(await outcome({ ...to, type: messageType.file, content: "x.pdf" }), "VALIDATION_FAILED:uploadId");
    assert.equal(await outcome({ ...to, type: messageType.text, content: "hi", uploadId: image }), "VALIDATION_FAILED:uploadId");
    assert.equal(await outcome({ ...to, type: messageType.typing, uploadId: image }), "VALIDATION_FAILED:uploadId", "relayed types too");
    assert.equal(
      await outcome({ ...to, type: messageType.image, uploadId: "ABCDEF" }),
      "VALIDATION_FAILED:uploadId",
      "not 32 lowercase hex",
    );
    assert.equal(await outcome({ ...to, type: messageType.image, uploadId: "0".repeat(32) }), "UPLOAD_NOT_FOUND");
    assert.equal(await outcome({ ...to, type: messageType.image, uploadId: pending }), "UPLOAD_NOT_FOUND");
    assert.equal(await outcome({ ...to, type: messageType.image, uploadId: expired }), "UPLOAD_NOT_FOUND");
    // Bob's upload, never shared with Alice: she cannot put it in a message (to Bob or anyone).
    assert.equal(await outcome({ ...to, type: messageType.image, uploadId: bobs }), "UPLOAD_NOT_SHAREABLE");
    assert.equal(await outcome({ ...to, type: messageType.image, uploadId: voice }), "UPLOAD_KIND_MISMATCH");
    assert.equal(await outcome({ ...to, type: messageType.gif, uploadId: image }), "UPLOAD_KIND_MISMATCH", "a JPEG is no GIF");
    assert.equal(await outcome({ ...to, type: messageType.voice, uploadId: image }), "UPLOAD_KIND_MISMATCH");
    assert.equal(await outcome({ ...to, type: messageType.video, uploadId: image }), "UPLOAD_KIND_MISMATCH");
    assert.equal(await outcome({ ...to, type: messageType.audio, uploadId: pdf }), "UPLOAD_KIND_MISMATCH", "a PDF is no audio");
    assert.equal(await outcome({ ...to, type: messageType.file, uploadId: avatar }), "UPLOAD_KIND_MISMATCH", "avatars are not sent");
    // Nothing was stored or granted, and Bob still may not fetch Alice's image.
    assert.equal(await models().mediaGrants.countDocuments({ fromUserId: alice.userId }), 0);
    assert.equal(await mayFetch(bob, image), false);
    // The same uploads in their right types go through: 9 takes any kind but avatars, 7 a voice upload.
    assert.equal(await outcome({ ...to, type: messageType.file, uploadId: image }), "ok");
    assert.equal(await outcome({ ...to, type: messageType.audio, uploadId: voice }), "ok");
    assert.equal(await outcome({ ...to, type: messageType.voice, uploadId: voice }), "ok");
  });

  it("delivers media with URLs under MEDIA_PUBLIC_URL, live, by sync and in history, and lets the recipient fetch it", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connect(alice);
    const b = await connect(bob);
    const inbox = collect(b);
    const image = await upload({
      ownerId: alice.userId,
      kind: "image",
      width: 800,
      height: 600,
      size: 54321,
      name: "cat.jpg",
      thumb: true,
    });
    const gif = await upload({ ownerId: alice.userId, kind: "image", contentType: "image/gif", width: 20, height: 20, thumb: true });
    const clip = await upload({ ownerId: alice.userId, kind: "file", contentType: "audio/ogg", name: "song.ogg", size: 9 });
    assert.equal(await mayFetch(bob, image), false, "not before it is sent to him");

    const sent = await a.send({ ...single(bob), type: messageType.image, uploadId: image, content: "" });
    const live = await received(inbox, sent.messageId);
    const expected = {
      uploadId: image,
      kind: "image",
      contentType: "image/jpeg",
      size: 54321,
      width: 800,
      height: 600,
      name: "cat.jpg",
      url: `${MEDIA}/v1/media/${image}`,
      thumbUrl: `${MEDIA}/v1/media/${image}/thumb`,
    };
    assert.deepEqual(live.media, expected);
    assert.equal(await mayFetch(bob, image), true, "the recipient may fetch it as soon as he has it");
    const grant = await models().mediaGrants.findById(`${sent.conversationId}:${sent.messageId}`).lean();
    assert.equal(grant?.uploadId, image);

    const gifSent = await a.send({ ...single(bob), type: messageType.gif, uploadId: gif });
    assert.equal((await received(inbox, gifSent.messageId)).media?.contentType, "image/gif");
    const clipSent = await a.send({ ...single(bob), type: messageType.audio, uploadId: clip });
    const clipMedia = (await received(inbox, clipSent.messageId)).media;
    assert.equal(clipMedia?.thumbUrl, undefined, "no thumbnail: no thumbUrl");
    assert.equal(clipMedia?.url, `${MEDIA}/v1/media/${clip}`);

    const { messages } = await historyOf(world, bob, sent.conversationId);
    assert.deepEqual(messages.find((m) => m.messageId === sent.messageId)?.media, expected);
    // A new device of Bob's gets it by sync.
    const fresh = new ImClient({ url: gateway(world, 0).url, token: bob.token, resource: "web" });
    world.clients.push(fresh);
    const freshInbox = collect(fresh);
    await fresh.connect();
    assert.deepEqual((await received(freshInbox, sent.messageId)).media, expected, "synced");
    const history = await historyOf(world, alice, sent.conversationId);
    assert.deepEqual(history.messages.find((m) => m.messageId === sent.messageId)?.media, expected, "the sender's copy too");
  });

  it("forwards a received upload (and only one the forwarder can still see)", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const a = await connect(alice);
    const b = await connect(bob);
    const c = await connect(carol);
    const carolInbox = collect(c);
    const image = await upload({ ownerId: alice.userId, kind: "image", thumb: true });
    // Bob has not received it yet: he may not share it.
    assert.equal(keyOf(await sendRaw(b, { ...single(carol), type: messageType.image, uploadId: image })), "UPLOAD_NOT_SHAREABLE");
    await a.send({ ...single(bob), type: messageType.image, uploadId: image });
    // The SDK's sendMedia, with the uploadId of the message received.
    const forwarded = await b.sendMedia({ ...single(carol), type: messageType.image, uploadId: image });
    const got = await received(carolInbox, forwarded.messageId);
    assert.equal(got.media?.uploadId, image);
    assert.equal(got.fromUserId, bob.userId);
    assert.equal(await mayFetch(carol, image), true);

    // A message Alice recalls can no longer be forwarded by its recipient.
    const second = await upload({ ownerId: alice.userId, kind: "video", duration: 4000, width: 320, height: 240, thumb: true });
    const sent = await a.send({ ...single(bob), type: messageType.video, uploadId: second });
    await a.send({ ...single(bob), type: messageType.recall, objectId: sent.messageId });
    assert.equal(keyOf(await sendRaw(b, { ...single(carol), type: messageType.video, uploadId: second })), "UPLOAD_NOT_SHAREABLE");
  });

  it("stops serving a recalled message's media to its recipient, and hides them from history", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connect(alice);
    const inbox = collect(await connect(bob));
    const image = await upload({ ownerId: alice.userId, kind: "image", thumb: true });
    const sent = await a.send({ ...single(bob), type: messageType.image, uploadId: image });
    await received(inbox, sent.messageId);
    assert.equal(await mayFetch(bob, image), true);
    await a.send({ ...single(bob), type: messageType.recall, objectId: sent.messageId });
    assert.equal(await mayFetch(bob, image), false, "recalled: refused");
    assert.equal(await mayFetch(alice, image), true, "its owner still may");
    const shown = (await historyOf(world, bob, sent.conversationId)).messages.find((m) => m.messageId === sent.messageId);
    assert.equal(shown?.recalled, true);
    assert.equal(shown?.media, undefined, "a recalled message shows no media");
  });

  it("stops serving a burnt (read-and-burn) message's media once read", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connect(alice);
    const b = await connect(bob);
    const inbox = collect(b);
    const voice = await upload({ ownerId: alice.userId, kind: "voice", duration: 2500 });
    const sent = await a.send({ ...single(bob), type: messageType.voice, uploadId: voice, isReadDel: true });
    assert.equal((await received(inbox, sent.messageId)).media?.duration, 2500);
    assert.equal(await mayFetch(bob, voice), true);
    await b.send({ ...single(alice), type: messageType.readReceipt, objectId: sent.messageId });
    const deadline = Date.now() + 5000;
    while ((await mayFetch(bob, voice)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await mayFetch(bob, voice), false, "burnt: refused");
  });

  it("is idempotent by messageId including the upload: a resend is the stored message, another upload is MESSAGE_ID_REUSED", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connect(alice);
    const first = await upload({ ownerId: alice.userId, kind: "image" });
    const other = await upload({ ownerId: alice.userId, kind: "image" });
    const messageId = crypto.randomUUID();
    const once = await sendRaw(a, { messageId, ...single(bob), type: messageType.image, uploadId: first });
    assert.ok(once.ok && !once.receipt.duplicate);
    const again = await sendRaw(a, { messageId, ...single(bob), type: messageType.image, uploadId: first });
    assert.ok(again.ok && again.receipt.duplicate && again.receipt.seq === once.receipt.seq);
    assert.equal(keyOf(await sendRaw(a, { messageId, ...single(bob), type: messageType.image, uploadId: other })), "MESSAGE_ID_REUSED");
    // No effect: the grant still names the first upload, and Bob may not fetch the other.
    const grant = await models()
      .mediaGrants.findById(`${once.ok ? once.receipt.conversationId : ""}:${messageId}`)
      .lean();
    assert.equal(grant?.uploadId, first);
    assert.equal(await mayFetch(bob, other), false);
  });

  it("in a room: members get the media; a member who joins later may not fetch what was sent before", async () => {
    const [owner, member, late] = await rooms.users(3);
    const roomId = await rooms.room(owner, [member]);
    const o = await connect(owner);
    const inbox = collect(await connect(member));
    const image = await upload({ ownerId: owner.userId, kind: "image", thumb: true });
    const sent = await o.send({ chatType: 2, to: roomId, type: messageType.image, uploadId: image });
    assert.equal((await received(inbox, sent.messageId)).media?.thumbUrl, `${MEDIA}/v1/media/${image}/thumb`);
    assert.equal(await mayFetch(member, image), true);
    await rooms.befriend(owner, late);
    assert.equal((await rooms.invite(owner, roomId, [late.userId])).status, 200);
    assert.equal(await mayFetch(late, image), false);
  });
});
