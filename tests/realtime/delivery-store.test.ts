import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type Server, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { connectMongo, createRedis, type Redis } from "@im/infra";
import {
  allocateSeq,
  createMessageStore,
  type MessageStore,
  storeGroup,
  storeSingle,
  syncConversations,
  syncMessageIndexes,
  userShard,
} from "@im/messaging";
import { type SendMessage, sendMessageSchema, singleConversationId } from "@im/protocol";
import { type FerretDbServer, type RedisServer, startFerretDb, startRedis } from "@im/testing";
import type { Connection } from "mongoose";

/**
 * Delivery guarantees of the message store against real FerretDB and Redis, with faults injected by a TCP
 * proxy between one store and the database: a connection cut during a message insert, an insert held for
 * seconds, and Redis losing its last writes.
 */

/** A TCP proxy that, once armed, holds or cuts the first client→server chunk containing `marker`. */
class FaultProxy {
  private server: Server | undefined;
  port = 0;
  marker: Buffer | undefined;
  mode: "hold" | "cut" = "hold";
  holdMs = 3_000;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      this.sockets.add(client).add(upstream);
      upstream.connect(this.target.port, this.target.host);
      let queue: Promise<void> = Promise.resolve();
      client.on("data", (chunk: Buffer) => {
        const hit = this.marker !== undefined && chunk.includes(this.marker);
        if (hit) this.marker = undefined; // once
        queue = queue.then(async () => {
          if (hit && this.mode === "cut") {
            client.destroy();
            upstream.destroy();
            return;
          }
          if (hit) await new Promise((resolve) => setTimeout(resolve, this.holdMs));
          if (!upstream.destroyed) upstream.write(chunk);
        });
      });
      upstream.on("data", (chunk) => client.write(chunk));
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const text = (to: number, content: string): SendMessage =>
  sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: String(to), type: 1, content });

describe("delivery: no receipt without storage, no seq twice, no skipped in-flight seq (real FerretDB, Redis, TCP proxy)", () => {
  let redisServer: RedisServer;
  let mongoServer: FerretDbServer;
  let proxy: FaultProxy;
  let direct: Connection;
  let proxied: Connection;
  let redis: Redis;
  let store: MessageStore;
  let slowStore: MessageStore;
  let nextUser = 1000;
  const pair = () => {
    nextUser += 2;
    return [nextUser, nextUser + 1] as const;
  };
  const sender = (userId: number) => ({ userId, resource: "web" });

  before(async () => {
    [redisServer, mongoServer] = await Promise.all([startRedis(), startFerretDb()]);
    const url = new URL(mongoServer.urlFor("delivery"));
    proxy = new FaultProxy({ host: url.hostname, port: Number(url.port) });
    await proxy.start();
    direct = await connectMongo(url.toString());
    const viaProxy = new URL(url.toString());
    viaProxy.port = String(proxy.port);
    proxied = await connectMongo(viaProxy.toString());
    redis = createRedis(redisServer.url, "delivery-test");
    store = createMessageStore(direct, redis, 2);
    slowStore = createMessageStore(proxied, redis, 2);
    await syncMessageIndexes(store);
  });
  after(async () => {
    redis.disconnect();
    await Promise.all([direct.close(), proxied.close().catch(() => undefined)]);
    await proxy.stop();
    await Promise.all([redisServer.stop(), mongoServer.stop()]);
  });

  const seqsOf = async (ownerId: number, conversationId: string) =>
    (
      await store.shards
        .user(userShard(ownerId, 2))
        .find({ ownerId, conversationId, tombstone: { $ne: true } })
        .sort({ seq: 1 })
        .lean()
    ).map((d) => [d.seq, d.content] as const);
  const synced = async (userId: number, conversationId: string, cursor: number) => {
    const conversations = await syncConversations(store, userId, { [conversationId]: cursor }, 100);
    return conversations.find((c) => c.conversationId === conversationId);
  };

  it("a connection cut during the recipient's insert gives no receipt; the resend stores the message once, both copies", async () => {
    const [alice, bob] = pair();
    const conversationId = singleConversationId(alice, bob);
    await storeSingle(store, sender(alice), text(bob, "m1"), bob);
    const message = text(bob, "CUT-ME-1a");
    proxy.mode = "cut";
    proxy.marker = Buffer.from("CUT-ME-1a");
    await assert.rejects(
      storeSingle(slowStore, sender(alice), message, bob),
      { key: "BUSY_RETRY" },
      "no receipt for a write whose outcome is unknown: a retryable error",
    );
    assert.deepEqual(await seqsOf(alice, conversationId), [[1, "m1"]], "no sender copy without the recipient's");
    const resent = await storeSingle(store, sender(alice), message, bob);
    assert.equal(resent.duplicate, false);
    assert.deepEqual(
      (await seqsOf(bob, conversationId)).map(([, c]) => c),
      ["m1", "CUT-ME-1a"],
    );
    assert.deepEqual(
      (await seqsOf(alice, conversationId)).map(([, c]) => c),
      ["m1", "CUT-ME-1a"],
    );
    const got = await synced(bob, conversationId, 1);
    assert.deepEqual(
      got?.messages.map((m) => m.content),
      ["CUT-ME-1a"],
    );
  });

  it("Redis losing its last writes (counter set back to 1) never stores a seq twice; cursor 3 and a new device both get X", async () => {
    const [alice, bob] = pair();
    const conversationId = singleConversationId(alice, bob);
    for (const content of ["m1", "m2", "m3"]) await storeSingle(store, sender(alice), text(bob, content), bob);
    await redis.set(`im:seq:${conversationId}`, "1");
    const x = await storeSingle(store, sender(alice), text(bob, "X"), bob);
    assert.equal(x.message.seq, 4);
    for (const owner of [alice, bob]) {
      assert.deepEqual(await seqsOf(owner, conversationId), [
        [1, "m1"],
        [2, "m2"],
        [3, "m3"],
        [4, "X"],
      ]);
    }
    assert.deepEqual(
      (await synced(bob, conversationId, 3))?.messages.map((m) => [m.seq, m.content]),
      [[4, "X"]],
    );
    assert.deepEqual(
      (await synced(bob, conversationId, 0))?.messages.map((m) => m.seq),
      [1, 2, 3, 4],
    );
  });

  it("sync never moves past a seq whose insert is still in flight; after it lands the device gets both, in order", async () => {
    const [alice, bob] = pair();
    const conversationId = singleConversationId(alice, bob);
    await storeSingle(store, sender(alice), text(bob, "m1"), bob);
    proxy.mode = "hold";
    proxy.holdMs = 3_000;
    proxy.marker = Buffer.from("HOLD-ME-1c");
    const held = storeSingle(slowStore, sender(alice), text(bob, "HOLD-ME-1c"), bob);
    await new Promise((resolve) => setTimeout(resolve, 300)); // its seq (2) is taken, its insert held
    const next = await storeSingle(store, sender(alice), text(bob, "after"), bob);
    assert.equal(next.message.seq, 3);
    const during = await synced(bob, conversationId, 1);
    assert.deepEqual(during?.messages ?? [], [], "nothing past the held seq");
    assert.ok((during?.nextCursor ?? 1) <= 1, "the cursor may not pass the held seq");
    assert.equal(during?.inFlight, true);
    const stored = await held;
    assert.equal(stored.message.seq, 2);
    const afterwards = await synced(bob, conversationId, 1);
    assert.deepEqual(
      afterwards?.messages.map((m) => [m.seq, m.content]),
      [
        [2, "HOLD-ME-1c"],
        [3, "after"],
      ],
    );
    assert.equal(afterwards?.nextCursor, 3);
    assert.equal(afterwards?.inFlight, undefined);
  });

  it("raced resends of one messageId from several writers (own batchers) store it once and never fail with 'no stored copy'", async () => {
    const writers = Array.from({ length: 4 }, () => createMessageStore(direct, redis, 2, { writeBatch: 8 }));
    for (let round = 0; round < 10; round++) {
      const [alice, bob] = pair();
      const conversationId = singleConversationId(alice, bob);
      const message = text(bob, `raced ${round}`);
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => storeSingle(writers[i % writers.length] as MessageStore, sender(alice), message, bob)),
      );
      const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
      assert.deepEqual(failures, [], "every raced resend is answered");
      const seqs = new Set(results.map((r) => (r as PromiseFulfilledResult<{ message: { seq: number } }>).value.message.seq));
      assert.equal(seqs.size, 1, "one seq for all");
      assert.equal(results.filter((r) => r.status === "fulfilled" && !r.value.duplicate).length, 1, "stored once");
      for (const owner of [alice, bob]) {
        assert.deepEqual(
          (await seqsOf(owner, conversationId)).map(([, c]) => c),
          [`raced ${round}`],
        );
      }
      const roomId = `room-${randomUUID()}`;
      const groupMessage = sendMessageSchema.parse({ messageId: randomUUID(), chatType: 2, to: roomId, type: 1, content: "g" });
      const groupResults = await Promise.all(
        Array.from({ length: 12 }, (_, i) => storeGroup(writers[i % writers.length] as MessageStore, sender(alice), groupMessage, roomId)),
      );
      assert.equal(new Set(groupResults.map((r) => r.message.seq)).size, 1);
      assert.equal(groupResults.filter((r) => !r.duplicate).length, 1);
    }
  });

  it("a seq whose writer died is resolved after its lease: a tombstone the cursor passes", async () => {
    const shortLease = createMessageStore(direct, redis, 2, { seqLeaseMs: 300 });
    const [alice, bob] = pair();
    const conversationId = singleConversationId(alice, bob);
    await storeSingle(shortLease, sender(alice), text(bob, "m1"), bob);
    const orphan = await allocateSeq(shortLease, conversationId); // a writer that dies right after taking seq 2
    assert.equal(orphan, 2);
    await storeSingle(shortLease, sender(alice), text(bob, "m3"), bob);
    const early = await syncConversations(shortLease, bob, { [conversationId]: 1 }, 100);
    assert.equal(early[0]?.inFlight, true);
    assert.equal(early[0]?.nextCursor, 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const late = await syncConversations(shortLease, bob, { [conversationId]: 1 }, 100);
    assert.deepEqual(
      late[0]?.messages.map((m) => [m.seq, m.content]),
      [[3, "m3"]],
    );
    assert.equal(late[0]?.nextCursor, 3, "past the tombstone");
    const tombstones = await shortLease.shards
      .user(userShard(bob, 2))
      .countDocuments({ ownerId: bob, conversationId, seq: 2, tombstone: true });
    assert.equal(tombstones, 1);
  });
});
