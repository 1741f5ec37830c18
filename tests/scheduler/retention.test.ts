import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type MessageDoc, messageDocId, roomShard, userShard } from "@im/messaging";
import { type JobContext, RETENTION_JOB, type RunningScheduler } from "@im/scheduler";
import { type SchedulerStack, startSchedulerStack } from "./harness.js";

const DAY_MS = 86_400_000;
const AGES = [1, 10, 40]; // days

function message(ownerId: number, conversationId: string, ageDays: number, now: number): MessageDoc {
  const time = now - ageDays * DAY_MS;
  return {
    _id: messageDocId(ownerId, conversationId, `${conversationId}-${ageDays}`),
    ownerId,
    conversationId,
    seq: ageDays,
    messageId: `${conversationId}-${ageDays}`,
    chatType: ownerId === 0 ? 2 : 1,
    fromUserId: 9,
    fromResource: "web",
    to: conversationId,
    type: 1,
    content: "hi",
    isEncrypt: false,
    isReadDel: false,
    timeSend: time,
    serverTime: time,
    recalled: false,
  };
}

describe("message retention", () => {
  let stack: SchedulerStack;
  let scheduler: RunningScheduler;
  let failAfter: string | undefined;
  const checkpoint: NonNullable<JobContext["checkpoint"]> = (job, step) => {
    if (job === RETENTION_JOB && step === failAfter) throw new Error(`simulated crash after ${step}`);
  };
  // user id → days kept (-1 = forever); ids share shards with each other (MESSAGE_SHARDS=2).
  const users: Array<[number, number]> = [
    [101, 7],
    [102, -1],
    [103, 30],
    [104, 7],
  ];
  const rooms = ["room-a", "room-b", "room-c"];

  const ages = async (ownerId: number, conversationId: string) => {
    const { shards } = scheduler.deps;
    const model = ownerId === 0 ? shards.group(roomShard(conversationId, shards.count)) : shards.user(userShard(ownerId, shards.count));
    const docs = await model.find({ ownerId, conversationId }).lean();
    return docs.map((d) => d.seq).sort((a, b) => a - b);
  };

  before(async () => {
    stack = await startSchedulerStack();
    scheduler = await stack.start({ MESSAGE_SHARDS: "2" }, { checkpoint });
    const now = Date.now();
    for (const [userId, days] of users) {
      await scheduler.deps.models.users.create({
        userId,
        telephone: `86100000${userId}`,
        areaCode: "86",
        nickname: `u${userId}`,
        createTime: now,
        modifyTime: now,
        settings: { chatRecordTimeOut: days },
      });
    }
  });
  after(async () => stack.stop());

  beforeEach(async () => {
    const { shards } = scheduler.deps;
    const now = Date.now();
    for (const model of shards.all()) await model.deleteMany({});
    for (const [userId] of users) {
      await shards.user(userShard(userId, shards.count)).insertMany(AGES.map((age) => message(userId, `u-${userId}`, age, now)));
    }
    for (const room of rooms) {
      await shards.group(roomShard(room, shards.count)).insertMany(AGES.map((age) => message(0, room, age, now)));
    }
  });

  it("deletes each user's copies by their own setting, keeps -1 users' and keeps groups while the platform keeps forever", async () => {
    await scheduler.deps.models.clientConfig.deleteMany({});
    assert.equal((await scheduler.runJob(RETENTION_JOB)).outcome, "ran");
    assert.deepEqual(await ages(101, "u-101"), [1]);
    assert.deepEqual(await ages(102, "u-102"), [1, 10, 40]);
    assert.deepEqual(await ages(103, "u-103"), [1, 10]);
    assert.deepEqual(await ages(104, "u-104"), [1]);
    for (const room of rooms) assert.deepEqual(await ages(0, room), [1, 10, 40]);
  });

  it("applies the client config's chatRecordTimeOut to group messages", async () => {
    await scheduler.deps.models.clientConfig.deleteMany({});
    await scheduler.deps.models.clientConfig.create({ _id: "client", values: { chatRecordTimeOut: 5 }, modifyTime: Date.now() });
    const event = await scheduler.runJob(RETENTION_JOB, Date.now() + 7 * DAY_MS); // a later bucket
    assert.equal(event.outcome, "ran");
    for (const room of rooms) assert.deepEqual(await ages(0, room), [1]);
    assert.deepEqual(await ages(102, "u-102"), [1, 10, 40]);
  });

  it("a run that crashed part-way is completed by the next run", async () => {
    failAfter = "user:101";
    const at = Date.now() + 14 * DAY_MS;
    assert.equal((await scheduler.runJob(RETENTION_JOB, at)).outcome, "failed");
    assert.deepEqual(await ages(101, "u-101"), [1], "the first user's deletion happened");
    assert.deepEqual(await ages(104, "u-104"), [1, 10, 40], "the rest did not");
    for (const room of rooms) assert.deepEqual(await ages(0, room), [1, 10, 40]);

    failAfter = undefined;
    assert.equal((await scheduler.runJob(RETENTION_JOB, at)).outcome, "ran");
    assert.deepEqual(await ages(101, "u-101"), [1]);
    assert.deepEqual(await ages(102, "u-102"), [1, 10, 40]);
    assert.deepEqual(await ages(103, "u-103"), [1, 10]);
    assert.deepEqual(await ages(104, "u-104"), [1]);
    for (const room of rooms) assert.deepEqual(await ages(0, room), [1]);
  });

  it("records what it deleted as a floor: clearedSeq raised to the highest deleted seq, per user and per room member", async () => {
    await scheduler.deps.models.clientConfig.deleteMany({});
    await scheduler.deps.models.clientConfig.create({ _id: "client", values: { chatRecordTimeOut: 5 }, modifyTime: Date.now() });
    const conversations = scheduler.deps.db.collection("user_conversations");
    await conversations.deleteMany({});
    const row = (userId: number, conversationId: string, clearedSeq: number) => ({
      userId,
      conversationId,
      chatType: 1,
      peer: "9",
      clearedSeq,
      endSeq: 0,
      createTime: Date.now(),
    });
    await conversations.insertMany([
      row(101, "u-101", 0),
      row(102, "u-102", 0),
      row(101, "room-a", 0),
      row(102, "room-a", 0),
      row(103, "room-a", 50),
    ]);
    assert.equal((await scheduler.runJob(RETENTION_JOB, Date.now() + 21 * DAY_MS)).outcome, "ran"); // a bucket of its own
    const floor = async (userId: number, conversationId: string) => (await conversations.findOne({ userId, conversationId }))?.clearedSeq;
    assert.equal(await floor(101, "u-101"), 40, "the highest seq deleted (seq = age in days here)");
    assert.equal(await floor(102, "u-102"), 0, "kept forever: no floor");
    assert.equal(await floor(101, "room-a"), 40);
    assert.equal(await floor(102, "room-a"), 40);
    assert.equal(await floor(103, "room-a"), 50, "never lowered");
    await conversations.deleteMany({});
  });
});
