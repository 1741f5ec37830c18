/**
 * Why the platform's 1:1 rate is low: times the FerretDB operations of one message send (gateway
 * handlers/send-message.ts → targets/single.ts → @im/messaging storeSingle) as the message shard grows, and
 * asks FerretDB (`explain`) whether it pushes each filter down to SQLite. Evidence for docs/benchmarks.md.
 *
 *   node --conditions=development --import tsx load/bench/ferretdb-ops.ts [sizes=0,250,1000] [samples=30]
 */
import { randomUUID } from "node:crypto";
import { createModels } from "@im/data";
import { connectMongo, createRedis } from "@im/infra";
import { createMessageStore, storeSingle, syncMessageIndexes } from "@im/messaging";
import { sendMessageSchema } from "@im/protocol";
import { startFerretDb, startRedis } from "@im/testing";
import { summarize } from "../runner/stats.js";
import { table } from "./lib/report.js";

const [sizesArg = "0,250,1000", samplesArg = "30"] = process.argv.slice(2);
const sizes = sizesArg.split(",").map(Number);
const samples = Number(samplesArg);

const [redisServer, mongoServer] = await Promise.all([startRedis(), startFerretDb()]);
const mongo = await connectMongo(mongoServer.urlFor("ops"));
const redis = createRedis(redisServer.url, "ops");
const store = createMessageStore(mongo, redis, 4, { writeBatch: 128 });
await syncMessageIndexes(store);
const models = createModels(mongo);
await models.users.syncIndexes();
const users = 100;
await models.users.insertMany(
  Array.from({ length: users }, (_, i) => ({
    userId: 100_001 + i,
    telephone: `86${13_900_000_000 + i}`,
    areaCode: "86",
    phone: String(13_900_000_000 + i),
    passwordHash: "x",
    nickname: `u${i}`,
    createTime: Date.now(),
    modifyTime: Date.now(),
  })),
);

const timeIt = async (work: () => Promise<unknown>) => {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await work();
    ms.push(performance.now() - t);
  }
  return summarize(ms);
};

const shard = store.shards.user(0);
let stored = 0;
const rows: Array<Array<string | number>> = [];
for (const size of sizes) {
  // Grow the store to `size` messages (two copies each) with the real storeSingle.
  while (stored < size) {
    const i = stored++;
    const from = 100_001 + (i % users);
    const to = 100_001 + ((i * 7 + 1) % users);
    const message = sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: String(to), type: 1, content: `m${i}` });
    await storeSingle(store, { userId: from, resource: "web" }, message, to === from ? to + 1 : to);
  }
  const docs = await shard.countDocuments();
  const some = await shard.findOne({}).lean();
  const resent = sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: "100003", type: 1, content: "again" });
  await storeSingle(store, { userId: 100_004, resource: "web" }, resent, 100_003);
  const ops: Record<string, () => Promise<unknown>> = {
    "users.findOne({userId}) (targets/single.ts)": () => models.users.findOne({ userId: 100_050 }, { status: 1 }).lean(),
    "friendships.exists({userId,toUserId,blacklist}) (targets/single.ts)": () =>
      models.friendships.exists({ userId: 100_050, toUserId: 100_051, blacklist: 1 }),
    "messages.findOne({ownerId,conversationId,messageId}) (idempotency lookup before deterministic _ids)": () =>
      shard.findOne({ ownerId: some?.ownerId ?? 0, conversationId: some?.conversationId ?? "", messageId: randomUUID() }).lean(),
    "messages.findOne({_id}) (idempotency lookup now)": () => shard.findOne({ _id: some?._id }).lean(),
    "storeSingle (whole, existing conversation)": () => {
      const message = sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: "100003", type: 1, content: "x" });
      stored += 1;
      return storeSingle(store, { userId: 100_004, resource: "web" }, message, 100_003);
    },
    "storeSingle (resend of a stored messageId)": () => storeSingle(store, { userId: 100_004, resource: "web" }, resent, 100_003),
    "storeSingle (whole, new conversation each time)": () => {
      const message = sendMessageSchema.parse({ messageId: randomUUID(), chatType: 1, to: "100002", type: 1, content: "x" });
      stored += 1;
      return storeSingle(store, { userId: 100_000 - Math.floor(Math.random() * 50_000), resource: "web" }, message, 100_002);
    },
  };
  for (const [name, work] of Object.entries(ops)) {
    const s = await timeIt(work);
    rows.push([size, docs, name, Math.round(s.p50 * 10) / 10, Math.round(s.p99 * 10) / 10]);
  }
}

// FerretDB's explain says whether the filter went to SQLite or was applied in FerretDB after a full read.
const explain = async (collection: string, filter: Record<string, unknown>) => {
  const reply = await mongo.db?.command({ explain: { find: collection, filter }, verbosity: "queryPlanner" });
  return {
    filterPushdown: reply?.filterPushdown,
    sortPushdown: reply?.sortPushdown,
    plan: JSON.stringify(reply?.queryPlanner ?? {}).slice(0, 160),
  };
};
const explains = {
  usersByUserId: await explain(models.users.collection.collectionName, { userId: 100_050 }),
  messageIdempotency: await explain(shard.collection.collectionName, { ownerId: 100_002, conversationId: "s_1_2", messageId: "x" }),
  messageById: await explain(shard.collection.collectionName, { _id: "x" }),
};

console.log(table(["messages stored", "docs in shard 0", "operation", "p50 ms", "p99 ms"], rows));
console.log(JSON.stringify(explains, null, 2));
redis.disconnect();
await mongo.close();
await Promise.all([redisServer.stop(), mongoServer.stop()]);
process.exit(0);
