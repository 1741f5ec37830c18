import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectMongo } from "@im/infra";
import { InsertBatcher } from "@im/messaging";
import { type FerretDbServer, startFerretDb } from "@im/testing";
import type { Collection } from "mongodb";
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
});
