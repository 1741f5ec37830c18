import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { MongoClient } from "mongodb";
import { type FerretDbServer, startFerretDb } from "./ferretdb.js";
import { type RedisServer, type RewindableRedis, startRedis, startRewindableRedis } from "./redis-server.js";
import { TcpProxy } from "./tcp-proxy.js";

/** Resolves "connected" or "refused" for a raw TCP connection to the proxy, "silent" if neither within ms. */
function probe(port: number, ms: number): Promise<"connected-and-answered" | "refused" | "silent"> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("silent");
    }, ms);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve("connected-and-answered");
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve("refused");
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve("refused");
    });
  });
}

describe("TcpProxy in front of a real redis-server", () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  before(async () => {
    redis = await startRedis();
    proxy = await TcpProxy.start({ targetPort: redis.port });
  });
  after(async () => {
    await proxy.stop();
    await redis.stop();
  });

  it("forwards, cuts open connections, refuses and hangs new ones for a while, and delays one direction", async () => {
    const client = new Redis(proxy.url("redis"), { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on("error", () => {}); // refused reconnects while the proxy refuses: expected here
    try {
      await client.set("k", "v");
      assert.equal(await client.get("k"), "v");

      const closed = new Promise((resolve) => client.once("close", resolve));
      assert.equal(proxy.cut(), 1);
      await closed;
      assert.equal(await client.get("k"), "v", "the client reconnects after a cut");

      const window = proxy.refuse(600);
      assert.equal(await probe(proxy.port, 300), "refused");
      await window;
      assert.equal(await probe(proxy.port, 1_000), "connected-and-answered");

      const hole = proxy.blackhole(600);
      assert.equal(await probe(proxy.port, 300), "silent", "a new connection is accepted but never answered");
      await hole;
      assert.equal(await probe(proxy.port, 1_000), "connected-and-answered");

      await client.ping();
      proxy.delay(300, "downstream");
      const started = Date.now();
      assert.equal(await client.get("k"), "v");
      assert.ok(Date.now() - started >= 290, `the reply was delayed (${Date.now() - started} ms)`);
      proxy.delay(0);
    } finally {
      client.disconnect();
    }
  });
});

describe("startRewindableRedis", () => {
  let redis: RewindableRedis;
  before(async () => {
    redis = await startRewindableRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it("loses every write after the snapshot and comes back on the same port", async () => {
    const client = new Redis(redis.url, { retryStrategy: () => 50 });
    client.on("error", () => {}); // refused reconnects while the server restarts: expected here
    try {
      await client.set("counter", "1");
      await redis.snapshot();
      await client.incr("counter");
      await client.set("later", "x");
      await redis.rewind();
      assert.equal(await client.get("counter"), "1");
      assert.equal(await client.get("later"), null);
    } finally {
      client.disconnect();
    }
  });
});

describe("TcpProxy with MongoDB command rules in front of a real FerretDB", () => {
  let ferret: FerretDbServer;
  let proxy: TcpProxy;
  let direct: MongoClient;
  let viaProxy: MongoClient;
  before(async () => {
    ferret = await startFerretDb();
    proxy = await TcpProxy.start({ targetPort: ferret.port, protocol: "mongodb" });
    direct = await new MongoClient(ferret.urlFor("proxy_test"), { directConnection: true }).connect();
    viaProxy = await new MongoClient(proxy.url("mongodb", "/proxy_test"), {
      directConnection: true,
      retryWrites: false,
      serverSelectionTimeoutMS: 3_000,
    }).connect();
  });
  after(async () => {
    await viaProxy.close();
    await direct.close();
    await proxy.stop();
    await ferret.stop();
  });

  const stored = (collection: string, _id: string) =>
    direct.db("proxy_test").collection<{ _id: string }>(collection).countDocuments({ _id });

  it("cuts the connection on the first insert into a matching collection, before it runs", async () => {
    const db = viaProxy.db("proxy_test");
    await db.collection<{ _id: string }>("other").insertOne({ _id: "a" });
    const fault = proxy.onCommand({ command: "insert", collection: /^msgs_/, action: "cut" });
    await db.collection<{ _id: string }>("other").insertOne({ _id: "b" }); // not matching: forwarded
    await assert.rejects(db.collection<{ _id: string }>("msgs_u_1").insertOne({ _id: "m1" }));
    assert.deepEqual(await fault.matched, { name: "insert", collection: "msgs_u_1" });
    assert.equal(await stored("msgs_u_1", "m1"), 0, "the cut insert never reached the server");
    await db.collection<{ _id: string }>("msgs_u_1").insertOne({ _id: "m2" }); // the rule acted once
    assert.equal(fault.hits, 1);
    assert.equal(await stored("msgs_u_1", "m2"), 1);
    assert.ok(proxy.commands.some((c) => c.name === "insert" && c.collection === "other"));
  });

  it("cut-before-reply lets the insert run and loses its reply", async () => {
    const db = viaProxy.db("proxy_test");
    proxy.onCommand({ command: "insert", collection: /^msgs_g/, action: "cut-before-reply" });
    await assert.rejects(db.collection<{ _id: string }>("msgs_g_2").insertOne({ _id: "r1" }));
    assert.equal(await stored("msgs_g_2", "r1"), 1, "stored although the app saw an error");
  });

  it("holds the first matching insert while other commands go through on other connections", async () => {
    const db = viaProxy.db("proxy_test");
    const fault = proxy.onCommand({ command: "insert", collection: /^msgs_/, action: { holdMs: 1_500 } });
    const started = Date.now();
    const held = db.collection<{ _id: string }>("msgs_u_3").insertOne({ _id: "h1" });
    await fault.matched;
    await db.collection<{ _id: string }>("msgs_u_3").insertOne({ _id: "h2" });
    assert.ok(Date.now() - started < 1_400, "the second insert was not held");
    assert.equal(await stored("msgs_u_3", "h1"), 0, "the held insert has not reached the server yet");
    await held;
    await fault.done;
    assert.ok(Date.now() - started >= 1_450, `held about 1.5 s (${Date.now() - started} ms)`);
    assert.equal(await stored("msgs_u_3", "h1"), 1);
  });
});
