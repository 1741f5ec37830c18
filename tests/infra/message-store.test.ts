import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { connectMongo, createRedis, type Redis } from "@im/infra";
import { createMessageStore, type MessageStore, messageDocId, storeGroup, storeSingle, syncMessageIndexes, userShard } from "@im/messaging";
import { type SendMessage, sendMessageSchema, singleConversationId } from "@im/protocol";
import { type FerretDbServer, type RedisServer, startFerretDb, startRedis } from "@im/testing";
import type { Connection } from "mongoose";
import { Types } from "mongoose";

const text = (to: string | number, chatType = 1): SendMessage =>
  sendMessageSchema.parse({ messageId: randomUUID(), chatType, to: String(to), type: 1, content: "hello" });

describe("message store: idempotency by deterministic _id (real FerretDB and Redis)", () => {
  let redisServer: RedisServer;
  let mongoServer: FerretDbServer;
  let connection: Connection;
  let redis: Redis;
  let store: MessageStore;
  before(async () => {
    [redisServer, mongoServer] = await Promise.all([startRedis(), startFerretDb()]);
    connection = await connectMongo(mongoServer.urlFor("store"));
    redis = createRedis(redisServer.url, "store-test");
    store = createMessageStore(connection, redis, 2);
    await syncMessageIndexes(store);
  });
  after(async () => {
    redis.disconnect();
    await connection.close();
    await Promise.all([redisServer.stop(), mongoServer.stop()]);
  });

  const copyOf = (ownerId: number, conversationId: string, messageId: string) =>
    store.shards
      .user(userShard(ownerId, store.shards.count))
      .findOne({ _id: messageDocId(ownerId, conversationId, messageId) })
      .lean();

  it("stores each party's copy under <ownerId>:<conversationId>:<messageId>", async () => {
    const message = text(202);
    const stored = await storeSingle(store, { userId: 201, resource: "web" }, message, 202);
    const conversationId = singleConversationId(201, 202);
    const [mine, theirs] = await Promise.all([
      copyOf(201, conversationId, message.messageId),
      copyOf(202, conversationId, message.messageId),
    ]);
    assert.equal(mine?.seq, stored.message.seq);
    assert.equal(theirs?.seq, stored.message.seq);
    assert.equal(theirs?.ownerId, 202);
    assert.equal(mine?.ownerId, 201);
  });

  it("answers a resend with the stored message and spends no sequence number on it", async () => {
    const sender = { userId: 211, resource: "web" };
    const first = await storeSingle(store, sender, text(212), 212);
    const original = text(212);
    const stored = await storeSingle(store, sender, original, 212);
    const resent = await storeSingle(store, sender, original, 212);
    assert.equal(resent.duplicate, true);
    assert.equal(resent.message.seq, stored.message.seq);
    assert.equal(resent.message.content, "hello");
    // The same id for another message is no resend: refused, and nothing is stored.
    await assert.rejects(storeSingle(store, sender, { ...original, content: "changed on resend" }, 212), { key: "MESSAGE_ID_REUSED" });
    const next = await storeSingle(store, sender, text(212), 212);
    assert.deepEqual([first.message.seq, stored.message.seq, next.message.seq], [1, 2, 3]);
    const conversationId = singleConversationId(211, 212);
    assert.equal(await store.shards.user(userShard(212, 2)).countDocuments({ ownerId: 212, conversationId }), 3);
    assert.equal(await store.shards.user(userShard(211, 2)).countDocuments({ ownerId: 211, conversationId }), 3);
  });

  it("stores a message once when the same messageId arrives twice at the same time", async () => {
    const sender = { userId: 221, resource: "web" };
    const message = text(222);
    const results = await Promise.all([storeSingle(store, sender, message, 222), storeSingle(store, sender, message, 222)]);
    assert.deepEqual(results.map((r) => r.duplicate).sort(), [false, true]);
    assert.equal(results[0]?.message.seq, results[1]?.message.seq);
    const conversationId = singleConversationId(221, 222);
    assert.equal(await store.shards.user(userShard(222, 2)).countDocuments({ conversationId, messageId: message.messageId }), 1);
    assert.equal(await store.shards.user(userShard(221, 2)).countDocuments({ conversationId, messageId: message.messageId }), 1);
  });

  it("still recognises copies written with ObjectId _ids (before deterministic _ids): no second copy", async () => {
    const conversationId = singleConversationId(231, 232);
    const message = text(232);
    const now = Date.now();
    const legacy = (ownerId: number) => ({
      _id: new Types.ObjectId(),
      ownerId,
      conversationId,
      seq: 7,
      messageId: message.messageId,
      chatType: 1,
      fromUserId: 231,
      fromResource: "web",
      to: "232",
      type: 1,
      content: "hello",
      isEncrypt: false,
      isReadDel: false,
      timeSend: now,
      serverTime: now,
      recalled: false,
    });
    await store.shards.user(userShard(232, 2)).collection.insertOne(legacy(232) as never);
    await store.shards.user(userShard(231, 2)).collection.insertOne(legacy(231) as never);
    const resent = await storeSingle(store, { userId: 231, resource: "web" }, message, 232);
    assert.equal(resent.duplicate, true);
    assert.equal(resent.message.seq, 7);
    // The seq the resend took before finding the legacy copy is a tombstone (never delivered), not a copy.
    assert.equal(await store.shards.user(userShard(232, 2)).countDocuments({ conversationId, tombstone: { $ne: true } }), 1);
    assert.equal(await store.shards.user(userShard(231, 2)).countDocuments({ conversationId, tombstone: { $ne: true } }), 1);
  });

  it("stores a group message once, by _id, including a concurrent resend", async () => {
    const roomId = `room-${randomUUID()}`;
    const sender = { userId: 241, resource: "web" };
    const message = text(roomId, 2);
    const first = await storeGroup(store, sender, message, roomId);
    const again = await storeGroup(store, sender, message, roomId);
    assert.deepEqual([first.duplicate, again.duplicate], [false, true]);
    assert.equal(again.message.seq, first.message.seq);
    const next = await storeGroup(store, sender, text(roomId, 2), roomId);
    assert.equal(next.message.seq, first.message.seq + 1, "a resend spends no sequence number");
    const racing = text(roomId, 2);
    const [a, b] = await Promise.all([storeGroup(store, sender, racing, roomId), storeGroup(store, sender, racing, roomId)]);
    assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true]);
    assert.equal(a.message.seq, b.message.seq);
    let copies = 0;
    for (const shard of store.shards.all()) copies += await shard.countDocuments({ messageId: racing.messageId });
    assert.equal(copies, 1);
  });
});
