import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { findStoredMessage, publishKeywordsChanged, readCount, readKey } from "@im/messaging";
import { type AckResult, type DeliveredMessage, messageType, type SyncedConversation, singleConversationId } from "@im/protocol";
import { historyOf, keyOf, sendRaw } from "../support/messages.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

describe("message features: recall, read receipts, burn after reading, typing, blacklist, keywords", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
  });
  after(() => world.stop());

  const gw1 = () => gateway(world, 0);
  const gw2 = () => gateway(world, 1);
  const store = () => world.stack.api.deps.messages;

  it("a sender recalls within the window: online and offline recipients get the 202, content is blanked everywhere", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const bobInbox = collect(b);
    const bobRecalled: string[] = [];
    b.on("recalled", (messageId) => bobRecalled.push(messageId));

    const toBob = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "oops" });
    const toCarol = await a.send({ chatType: 1, to: String(carol.userId), type: messageType.text, content: "secret" });
    await eventually("bob gets the message", () => bobInbox.length === 1);

    const recallBob = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: toBob.messageId });
    assert.equal(recallBob.seq, toBob.seq + 1, "the 202 is an ordinary stored message with the next seq");
    await a.send({ chatType: 1, to: String(carol.userId), type: messageType.recall, objectId: toCarol.messageId });
    await eventually("bob gets the recall live", () => bobRecalled.length === 1);
    assert.equal(bobRecalled[0], toBob.messageId);
    assert.equal(bobInbox[1]?.type, messageType.recall);
    assert.equal(bobInbox[1]?.objectId, toBob.messageId);

    // Carol was offline: her first sync has the original, blanked and marked, and the 202 after it.
    const carolInbox: DeliveredMessage[] = [];
    const carolRecalled: string[] = [];
    const d = new ImClient({ url: gw2().url, token: carol.token });
    world.clients.push(d);
    d.on("message", (m) => carolInbox.push(m));
    d.on("recalled", (id) => carolRecalled.push(id));
    await d.connect();
    assert.deepEqual(
      carolInbox.map((m) => [m.type, m.content, m.recalled ?? false]),
      [
        [messageType.text, "", true],
        [messageType.recall, "", false],
      ],
    );
    assert.deepEqual(carolRecalled, [toCarol.messageId]);

    // Both stored copies are recalled (history of each side), and the content is gone from storage too.
    for (const user of [alice, bob]) {
      const { messages } = await historyOf(world, user, toBob.conversationId);
      const original = messages.find((m) => m.messageId === toBob.messageId);
      assert.equal(original?.recalled, true, `copy of ${user.userId}`);
      assert.equal(original?.content, "");
    }
    const stored = await findStoredMessage(store(), toBob.conversationId, toBob.messageId);
    assert.equal(stored?.content, "");
  });

  it("refuses a recall by someone else, of an unknown message, or without objectId; a resent recall is acknowledged again", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const bobInbox = collect(b);
    const sent = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "mine" });
    await eventually("bob gets it", () => bobInbox.length === 1);

    const byBob = await sendRaw(b, { chatType: 1, to: String(alice.userId), type: messageType.recall, objectId: sent.messageId });
    assert.equal(keyOf(byBob), "RECALL_NOT_ALLOWED");
    const unknown = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: crypto.randomUUID() });
    assert.equal(keyOf(unknown), "MESSAGE_NOT_FOUND");
    const noTarget = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.recall });
    assert.equal(keyOf(noTarget), "VALIDATION_FAILED");
    // A message of another conversation is not found in this one.
    const carol = await registerUser(world.stack, world.api);
    const elsewhere = await sendRaw(a, { chatType: 1, to: String(carol.userId), type: messageType.recall, objectId: sent.messageId });
    assert.equal(keyOf(elsewhere), "MESSAGE_NOT_FOUND");

    const recallId = crypto.randomUUID();
    const first = await sendRaw(a, {
      messageId: recallId,
      chatType: 1,
      to: String(bob.userId),
      type: messageType.recall,
      objectId: sent.messageId,
    });
    const again = await sendRaw(a, {
      messageId: recallId,
      chatType: 1,
      to: String(bob.userId),
      type: messageType.recall,
      objectId: sent.messageId,
    });
    assert.ok(first.ok && again.ok);
    assert.equal(again.receipt.duplicate, true);
    assert.equal(again.receipt.seq, first.receipt.seq);
    // Recalling the recall itself is refused: control messages are not recallable.
    const recallRecall = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: recallId });
    assert.equal(keyOf(recallRecall), "RECALL_NOT_ALLOWED");
    assert.equal(bobInbox.filter((m) => m.messageId !== sent.messageId).length, 1, "bob saw no refused recall");
  });

  it("relays and stores a read receipt to the sender and records the reader", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const aliceInbox = collect(a);
    const reads: string[] = [];
    a.on("read", (messageId) => reads.push(messageId));
    const bobInbox = collect(b);
    const sent = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "read me" });
    await eventually("bob gets it", () => bobInbox.length === 1);

    const receipt = await b.send({ chatType: 1, to: String(alice.userId), type: messageType.readReceipt, objectId: sent.messageId });
    assert.ok(receipt.seq > sent.seq, "stored with a seq");
    await eventually("alice gets the read receipt", () => reads.length === 1);
    assert.equal(aliceInbox[0]?.type, messageType.readReceipt);
    assert.equal(aliceInbox[0]?.fromUserId, bob.userId);
    assert.equal(reads[0], sent.messageId);
    assert.equal(await readCount(store(), sent.conversationId, sent.messageId), 1);
    const ttl = await world.stack.api.deps.redis.ttl(readKey(sent.conversationId, sent.messageId));
    assert.ok(ttl > 29 * 24 * 3600, `expires in about 30 days (${ttl})`);
    // Read again (another device, another messageId): one receipt per member and message — answered with
    // the first, stored and delivered once.
    const again = await sendRaw(b, { chatType: 1, to: String(alice.userId), type: messageType.readReceipt, objectId: sent.messageId });
    assert.ok(again.ok, JSON.stringify(again));
    assert.equal(again.receipt.duplicate, true);
    assert.equal(again.receipt.seq, receipt.seq);
    assert.equal(await readCount(store(), sent.conversationId, sent.messageId), 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(reads.length, 1, "delivered once");
    // Alice cannot "read" her own message; nobody can read an unknown one.
    const own = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.readReceipt, objectId: sent.messageId });
    assert.equal(keyOf(own), "VALIDATION_FAILED");
    const unknown = await sendRaw(b, {
      chatType: 1,
      to: String(alice.userId),
      type: messageType.readReceipt,
      objectId: crypto.randomUUID(),
    });
    assert.equal(keyOf(unknown), "MESSAGE_NOT_FOUND");
    // An offline sender gets the receipt by sync.
    const history = await historyOf(world, alice, sent.conversationId);
    assert.equal(history.messages.filter((m) => m.type === messageType.readReceipt).length, 1);
  });

  it("burn after reading: the recipient's read receipt deletes both stored copies and reaches the sender", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const reads: string[] = [];
    a.on("read", (messageId) => reads.push(messageId));
    const bobInbox = collect(b);
    const keep = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "stays" });
    const burn = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "burn me", isReadDel: true });
    await eventually("bob gets both", () => bobInbox.length === 2);
    assert.equal(bobInbox[1]?.isReadDel, true);
    assert.ok(await findStoredMessage(store(), burn.conversationId, burn.messageId), "stored until read");

    const receiptId = crypto.randomUUID();
    await b.send({ messageId: receiptId, chatType: 1, to: String(alice.userId), type: messageType.readReceipt, objectId: burn.messageId });
    await eventually("alice learns it was read", () => reads.includes(burn.messageId));
    assert.equal(await findStoredMessage(store(), burn.conversationId, burn.messageId), null, "no copy left");
    for (const user of [alice, bob]) {
      const { messages } = await historyOf(world, user, burn.conversationId);
      assert.equal(
        messages.some((m) => m.messageId === burn.messageId),
        false,
        `gone from ${user.userId}'s history`,
      );
      assert.equal(
        messages.some((m) => m.messageId === keep.messageId),
        true,
      );
    }
    // The same receipt resent is acknowledged again though the message is gone; a new one finds nothing.
    const again = await sendRaw(b, {
      messageId: receiptId,
      chatType: 1,
      to: String(alice.userId),
      type: messageType.readReceipt,
      objectId: burn.messageId,
    });
    assert.ok(again.ok && again.receipt.duplicate);
    // A new receipt of the same message by the same reader is the same receipt: answered with the first.
    const fresh = await sendRaw(b, { chatType: 1, to: String(alice.userId), type: messageType.readReceipt, objectId: burn.messageId });
    assert.ok(fresh.ok && fresh.receipt.duplicate && fresh.receipt.seq === again.receipt.seq);
    // Another member cannot read what is burnt: it is no message any more.
    const byAlice = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.readReceipt, objectId: burn.messageId });
    assert.equal(keyOf(byAlice), "MESSAGE_NOT_FOUND");
  });

  it("a messageId reused for another message is refused (MESSAGE_ID_REUSED) and applies nothing: no recall of the peer's message", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const bobRecalled: string[] = [];
    b.on("recalled", (messageId) => bobRecalled.push(messageId));
    const messageId = crypto.randomUUID();
    const first = await sendRaw(a, { messageId, chatType: 1, to: String(bob.userId), type: messageType.text, content: "hi" });
    assert.ok(first.ok);
    const bobs = await b.send({ chatType: 1, to: String(alice.userId), type: messageType.text, content: "bob's words" });
    const forged = await sendRaw(a, { messageId, chatType: 1, to: String(bob.userId), type: messageType.recall, objectId: bobs.messageId });
    assert.equal(keyOf(forged), "MESSAGE_ID_REUSED");
    const otherContent = await sendRaw(a, { messageId, chatType: 1, to: String(bob.userId), type: messageType.text, content: "changed" });
    assert.equal(keyOf(otherContent), "MESSAGE_ID_REUSED");
    const sameAgain = await sendRaw(a, { messageId, chatType: 1, to: String(bob.userId), type: messageType.text, content: "hi" });
    assert.ok(sameAgain.ok && sameAgain.receipt.duplicate && sameAgain.receipt.seq === first.receipt.seq);
    for (const user of [alice, bob]) {
      const kept = (await historyOf(world, user, bobs.conversationId)).messages.find((m) => m.messageId === bobs.messageId);
      assert.equal(kept?.content, "bob's words", `intact for ${user.userId}`);
      assert.equal(kept?.recalled, undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(bobRecalled, []);
    // Recalled (content erased), the message is still told apart from another one under its id (found by
    // black-box testing: after a recall, burn or clear any content was answered ok, duplicate).
    const recall = await sendRaw(a, {
      messageId: crypto.randomUUID(),
      chatType: 1,
      to: String(bob.userId),
      type: messageType.recall,
      objectId: messageId,
    });
    assert.ok(recall.ok, JSON.stringify(recall));
    const afterRecall = await sendRaw(a, { messageId, chatType: 1, to: String(bob.userId), type: messageType.text, content: "changed" });
    assert.equal(keyOf(afterRecall), "MESSAGE_ID_REUSED");
    const flipped = await sendRaw(a, {
      messageId,
      chatType: 1,
      to: String(bob.userId),
      type: messageType.text,
      content: "hi",
      isReadDel: true,
    });
    assert.equal(keyOf(flipped), "MESSAGE_ID_REUSED");
    const exact = await sendRaw(a, { messageId, chatType: 1, to: String(bob.userId), type: messageType.text, content: "hi" });
    assert.ok(exact.ok && exact.receipt.duplicate, "the exact resend is still acknowledged");
  });

  it("relays typing (201) to online devices without storing it", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const bobInbox = collect(b);
    const receipt = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.typing });
    assert.equal(receipt.seq, 0);
    await eventually("bob sees alice typing", () => bobInbox.length === 1);
    assert.equal(bobInbox[0]?.type, messageType.typing);
    assert.equal(bobInbox[0]?.seq, 0);
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "after typing" });
    // A sync from nothing (a new device) has only the text message.
    const synced = (await b.socket.timeout(5_000).emitWithAck("sync", { cursors: {} })) as AckResult<{
      conversations: SyncedConversation[];
    }>;
    assert.ok(synced.ok);
    const conversation = synced.conversations.find((c) => c.conversationId === singleConversationId(alice.userId, bob.userId));
    assert.deepEqual(
      conversation?.messages.map((m) => m.type),
      [messageType.text],
    );
  });

  it("a blocked sender gets BLOCKED_BY_USER and the recipient gets nothing", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const blocked = await world.api.post(`/v1/blacklist/${alice.userId}`, undefined, bob.token);
    assert.ok(blocked.status < 300, JSON.stringify(blocked.body));
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const bobInbox = collect(b);
    const refused = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.text, content: "let me in" });
    assert.equal(keyOf(refused), "BLOCKED_BY_USER");
    const typing = await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.typing });
    assert.equal(keyOf(typing), "BLOCKED_BY_USER");
    // Bob may still write to alice.
    await b.send({ chatType: 1, to: String(alice.userId), type: messageType.text, content: "no" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(bobInbox.length, 0);
  });

  it("keyword filter: off by default, switched on and off live on both gateways, text only", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gw1());
    const b = await connectClient(world, bob, gw2());
    const aliceInbox = collect(a);
    const bobInbox = collect(b);
    const { models, redis } = world.stack.api.deps;
    const word = `forbidden${process.pid}`;
    const text = (content: string) => ({ chatType: 1 as const, type: messageType.text, content });

    await models.notKeywords.create({ word, createTime: Date.now() });
    await publishKeywordsChanged(redis);
    // The switch is off (the seed's default): the word passes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(keyOf(await sendRaw(a, { ...text(`say ${word}`), to: String(bob.userId) })), "ok");

    const setSwitch = async (on: 0 | 1) => {
      await models.clientConfig.updateOne({ _id: "client" }, { $set: { "values.keywordFilter": on, modifyTime: Date.now() } });
      await publishKeywordsChanged(redis);
    };
    const refusedOnBoth = async (content: string) => {
      const refusedIds: string[] = [];
      let gw1Refuses = false;
      let gw2Refuses = false;
      const deadline = Date.now() + 5_000;
      while (!(gw1Refuses && gw2Refuses) && Date.now() < deadline) {
        const id1 = crypto.randomUUID();
        const id2 = crypto.randomUUID();
        const r1 = await sendRaw(a, { messageId: id1, ...text(content), to: String(bob.userId) });
        const r2 = await sendRaw(b, { messageId: id2, ...text(content), to: String(alice.userId) });
        if (keyOf(r1) === "KEYWORD_REJECTED") {
          gw1Refuses = true;
          refusedIds.push(id1);
        }
        if (keyOf(r2) === "KEYWORD_REJECTED") {
          gw2Refuses = true;
          refusedIds.push(id2);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { gw1Refuses, gw2Refuses, refusedIds };
    };

    const started = Date.now();
    await setSwitch(1);
    const on = await refusedOnBoth(`Say ${word.toUpperCase()} loudly`);
    assert.ok(on.gw1Refuses && on.gw2Refuses, "both gateways refuse after the change notice");
    assert.ok(Date.now() - started < 5_000, "well before the 30 s fallback reload");
    // Refused messages are neither stored nor delivered.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const id of on.refusedIds) {
      assert.equal(bobInbox.some((m) => m.messageId === id) || aliceInbox.some((m) => m.messageId === id), false);
      assert.equal(await findStoredMessage(world.stack.api.deps.messages, singleConversationId(alice.userId, bob.userId), id), null);
    }
    // Only text (type 1) is filtered; other text stays fine.
    assert.equal(keyOf(await sendRaw(a, { chatType: 1, to: String(bob.userId), type: messageType.link, content: word })), "ok");
    assert.equal(keyOf(await sendRaw(a, { ...text("harmless"), to: String(bob.userId) })), "ok");

    // Removing the word lifts it on both gateways.
    await models.notKeywords.deleteOne({ word });
    await publishKeywordsChanged(redis);
    const deadline = Date.now() + 5_000;
    let accepted = false;
    while (!accepted && Date.now() < deadline) {
      const r1 = await sendRaw(a, { ...text(word), to: String(bob.userId) });
      const r2 = await sendRaw(b, { ...text(word), to: String(alice.userId) });
      accepted = keyOf(r1) === "ok" && keyOf(r2) === "ok";
      if (!accepted) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(accepted, "the removed word passes on both gateways");

    // Word back, switch off: passes again.
    await models.notKeywords.create({ word, createTime: Date.now() });
    await publishKeywordsChanged(redis);
    const again = await refusedOnBoth(word);
    assert.ok(again.gw1Refuses && again.gw2Refuses);
    await setSwitch(0);
    const offDeadline = Date.now() + 5_000;
    let off = false;
    while (!off && Date.now() < offDeadline) {
      const r1 = await sendRaw(a, { ...text(word), to: String(bob.userId) });
      const r2 = await sendRaw(b, { ...text(word), to: String(alice.userId) });
      off = keyOf(r1) === "ok" && keyOf(r2) === "ok";
      if (!off) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(off, "switched off on both gateways");
    await models.notKeywords.deleteOne({ word });
  });
});
