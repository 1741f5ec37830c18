/**
 * Benchmark: single-chat messages stored per second by the message store (two copies each, Redis seq,
 * idempotency index), with write batching on (MESSAGE_WRITE_BATCH=128) beside the baseline with it off
 * (MESSAGE_WRITE_BATCH=1), in the same run on the same FerretDB and Redis.
 *
 *   node --conditions=development --import tsx load/bench-message-store.ts [messages=4000] [concurrency=200] [rounds=3]
 *
 * Concurrency is the number of sends in flight at once (as many sockets sending at the same moment).
 */
import { randomUUID } from "node:crypto";
import { connectMongo, createRedis } from "@im/infra";
import { createMessageStore, type MessageStore, storeSingle, syncMessageIndexes } from "@im/messaging";
import { sendMessageSchema } from "@im/protocol";
import { startFerretDb, startRedis } from "@im/testing";

const [total = 4000, concurrency = 200, rounds = 3] = process.argv.slice(2).map(Number);

async function run(store: MessageStore, users: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const from = 100_001 + (i % users);
      const to = 100_001 + ((i * 7 + 1) % users);
      const message = sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: String(to), type: 1, content: `m${i}` });
      await storeSingle(store, { userId: from, resource: "web" }, message, to === from ? to + 1 : to);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

const [redisServer, mongoServer] = await Promise.all([startRedis(), startFerretDb()]);
try {
  const results: Record<string, number[]> = { batched: [], unbatched: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [name, writeBatch] of [
      ["unbatched", 1],
      ["batched", 128],
    ] as const) {
      const mongo = await connectMongo(mongoServer.urlFor(`bench_${name}_${round}`));
      const redis = createRedis(redisServer.url, "bench");
      const store = createMessageStore(mongo, redis, 8, { writeBatch });
      await syncMessageIndexes(store);
      results[name]?.push(await run(store, 500));
      redis.disconnect();
      await mongo.close();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const b = median(results.batched ?? []);
  const u = median(results.unbatched ?? []);
  const summary = {
    messages: total,
    concurrency,
    rounds,
    batchedPerSecond: Math.round(b),
    unbatchedPerSecond: Math.round(u),
    ratio: Math.round((b / u) * 100) / 100,
    all: results,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  await Promise.all([redisServer.stop(), mongoServer.stop()]);
}
