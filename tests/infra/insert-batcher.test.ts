import assert from "node:assert/strict";
import { createServer, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { connectMongo } from "@im/infra";
import { InsertBatcher, InsertOutcomeUnknownError } from "@im/messaging";
import { type FerretDbServer, startFerretDb } from "@im/testing";
import { type Collection, MongoClient } from "mongodb";
import type { Connection } from "mongoose";

interface Row {
  key: string;
  n: number;
}

describe("InsertBatcher (real FerretDB)", () => {
  let server: FerretDbServer;
  let connection: Connection;
  let collection: Collection<Row>;
  before(async () => {
    server = await startFerretDb();
    connection = await connectMongo(server.urlFor("batcher"));
    const db = connection.db;
    if (!db) throw new Error("no db");
    collection = db.collection<Row>("rows");
    await collection.createIndex({ key: 1 }, { unique: true });
  });
  after(async () => {
    await connection.close();
    await server.stop();
  });

  it("stores each document once and reports duplicates, in and across batches, when writes are concurrent", async () => {
    const writes: Array<{ size: number; seconds: number }> = [];
    const batcher = new InsertBatcher<Row>(collection, {
      maxBatch: 50,
      maxInFlight: 2,
      onWrite: (size, seconds) => writes.push({ size, seconds }),
    });
    let calls = 0;
    const original = collection.insertMany.bind(collection);
    collection.insertMany = ((docs: Row[], options: object) => {
      calls += 1;
      return original(docs, options);
    }) as typeof collection.insertMany;
    const keys = Array.from({ length: 300 }, (_, i) => `k${i % 200}`); // 100 keys twice
    const outcomes = await Promise.all(keys.map((key, n) => batcher.insert({ key, n })));
    assert.equal(outcomes.filter((o) => o === "inserted").length, 200);
    assert.equal(outcomes.filter((o) => o === "duplicate").length, 100);
    assert.equal(await collection.countDocuments(), 200);
    assert.ok(calls < 300 / 2, `batched: ${calls} insertMany calls for 300 documents`);
    assert.equal(writes.length, calls, "onWrite is told of every insertMany");
    assert.equal(
      writes.reduce((sum, w) => sum + w.size, 0),
      300,
    );
    assert.ok(writes.every((w) => w.size <= 50 && w.seconds >= 0));
  });

  it("writes alone when nothing else is waiting, and a failing write rejects only its callers", async () => {
    const batcher = new InsertBatcher<Row>(collection, { maxBatch: 1 });
    assert.equal(await batcher.insert({ key: "solo", n: 1 }), "inserted");
    assert.equal(await batcher.insert({ key: "solo", n: 2 }), "duplicate");
    const broken = new InsertBatcher<Row>({ insertMany: async () => Promise.reject(new Error("down")) } as unknown as Collection<Row>);
    await assert.rejects(broken.insert({ key: "x", n: 0 }), /down/);
  });

  it("a connection cut during insertMany rejects every document of the batch as outcome unknown, none as inserted", async () => {
    // A TCP proxy to FerretDB that cuts both sides when the insert carrying `CUT-BATCH` passes.
    const target = new URL(server.urlFor("batcher"));
    const proxy = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(target.port), target.hostname);
      client.on("data", (chunk: Buffer) => {
        if (chunk.includes(Buffer.from("CUT-BATCH"))) {
          client.destroy();
          upstream.destroy();
        } else upstream.write(chunk);
      });
      upstream.on("data", (chunk) => client.write(chunk));
      client.on("error", () => upstream.destroy()).on("close", () => upstream.destroy());
      upstream.on("error", () => client.destroy()).on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const address = proxy.address();
    const viaProxy = new URL(target.toString());
    viaProxy.port = String(typeof address === "object" && address ? address.port : 0);
    const client = await MongoClient.connect(viaProxy.toString(), { serverSelectionTimeoutMS: 5_000 });
    try {
      const batcher = new InsertBatcher<Row>(client.db("batcher").collection<Row>("rows"), { maxBatch: 10, maxInFlight: 1 });
      const outcomes = await Promise.allSettled([
        batcher.insert({ key: "cut-1", n: 1 }),
        batcher.insert({ key: "CUT-BATCH", n: 2 }),
        batcher.insert({ key: "cut-3", n: 3 }),
      ]);
      // The first goes alone at once (nothing in flight) and is stored; the other two wait and leave together.
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ["fulfilled", "rejected", "rejected"],
        "never 'inserted' without a positive report",
      );
      for (const outcome of outcomes.slice(1)) {
        assert.ok((outcome as PromiseRejectedResult).reason instanceof InsertOutcomeUnknownError);
      }
      assert.equal(await collection.countDocuments({ key: { $in: ["CUT-BATCH", "cut-3"] } }), 0, "and indeed neither was stored");
    } finally {
      await client.close(true).catch(() => undefined);
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
