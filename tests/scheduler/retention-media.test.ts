// Issue 11 §3: deleting messages by retention releases their media references (media_grants), but not while
// the other party of a single chat still keeps a copy; idempotent and resumable like the rest of the job.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type MessageDoc, messageDocId, roomShard, type StoredMedia, userShard } from "@im/messaging";
import { type JobContext, RETENTION_JOB, type RunningScheduler } from "@im/scheduler";
import { type SchedulerStack, startSchedulerStack } from "./harness.js";

const DAY_MS = 86_400_000;
const media = (uploadId: string): StoredMedia => ({ uploadId, kind: "image", contentType: "image/jpeg", size: 10 });

function copy(ownerId: number, conversationId: string, messageId: string, ageDays: number, now: number, uploadId?: string): MessageDoc {
  const time = now - ageDays * DAY_MS;
  return {
    _id: messageDocId(ownerId, conversationId, messageId),
    ownerId,
    conversationId,
    seq: ageDays * 10 + messageId.length + (messageId.startsWith("t") ? 1 : 0),
    messageId,
    chatType: ownerId === 0 ? 2 : 1,
    fromUserId: 301,
    fromResource: "web",
    to: conversationId,
    type: uploadId ? 2 : 1,
    content: "",
    isEncrypt: false,
    isReadDel: false,
    timeSend: time,
    serverTime: time,
    recalled: false,
    ...(uploadId ? { media: media(uploadId) } : {}),
  };
}

describe("message retention releases media grants", () => {
  let stack: SchedulerStack;
  let scheduler: RunningScheduler;
  let failAfter: string | undefined;
  const checkpoint: NonNullable<JobContext["checkpoint"]> = (job, step) => {
    if (job === RETENTION_JOB && step === failAfter) throw new Error(`simulated crash after ${step}`);
  };
  before(async () => {
    stack = await startSchedulerStack("im_retention_media");
    scheduler = await stack.start({ MESSAGE_SHARDS: "2" }, { checkpoint });
  });
  after(async () => stack.stop());

  it("deletes the grants of deleted media messages once no party keeps a copy, and only those", async () => {
    const { models, shards } = scheduler.deps;
    const now = Date.now();
    // 301 and 303 keep 7 days, 302 keeps forever; rooms keep 5 days.
    for (const [userId, days] of [
      [301, 7],
      [302, -1],
      [303, 7],
    ] as const) {
      await models.users.create({
        userId,
        telephone: `86130000${userId}`,
        areaCode: "86",
        nickname: `u${userId}`,
        createTime: now,
        modifyTime: now,
        settings: { chatRecordTimeOut: days },
      });
    }
    await models.clientConfig.deleteMany({});
    await models.clientConfig.create({ _id: "client", values: { chatRecordTimeOut: 5 }, modifyTime: now });
    const user = (id: number) => shards.user(userShard(id, shards.count));
    const both = "s_301_303"; // both parties expire it
    const kept = "s_301_302"; // 302 keeps it forever
    const room = "g_abcdefabcdefabcdefabcdefabcdefab";
    const roomModel = shards.group(roomShard("abcdefabcdefabcdefabcdefabcdefab", shards.count));
    const up = (n: number) => String(n).padStart(32, "0");
    await user(301).insertMany([
      copy(301, both, "m-old", 10, now, up(1)),
      copy(301, both, "m-new", 1, now, up(2)),
      copy(301, both, "t-old", 10, now),
      copy(301, kept, "k-old", 10, now, up(3)),
    ]);
    await user(303).insertMany([copy(303, both, "m-old", 10, now, up(1)), copy(303, both, "m-new", 1, now, up(2))]);
    await user(302).insertMany([copy(302, kept, "k-old", 10, now, up(3))]);
    await roomModel.insertMany([copy(0, room, "r-old", 40, now, up(4)), copy(0, room, "r-new", 1, now, up(5))]);
    const grant = (conversationId: string, messageId: string, uploadId: string) => ({
      _id: `${conversationId}:${messageId}`,
      uploadId,
      conversationId,
      messageId,
      fromUserId: 301,
      createTime: now,
    });
    await models.mediaGrants.insertMany([
      grant(both, "m-old", up(1)),
      grant(both, "m-new", up(2)),
      grant(kept, "k-old", up(3)),
      grant(room, "r-old", up(4)),
      grant(room, "r-new", up(5)),
    ]);
    const grants = async () => (await models.mediaGrants.find({}, { _id: 1 }).lean()).map((g) => g._id).sort();

    // A run that crashes after the first user: 301's copies are gone, 303 still has m-old: its grant stays.
    failAfter = "user:301";
    assert.equal((await scheduler.runJob(RETENTION_JOB)).outcome, "failed");
    assert.equal(await user(301).countDocuments({ ownerId: 301, messageId: "m-old" }), 0);
    assert.ok((await grants()).includes(`${both}:m-old`), "303 still sees m-old: its media stay fetchable");

    failAfter = undefined;
    assert.equal((await scheduler.runJob(RETENTION_JOB)).outcome, "ran");
    assert.deepEqual(await grants(), [`${room}:r-new`, `${both}:m-new`, `${kept}:k-old`].sort());
    assert.equal(await user(302).countDocuments({ messageId: "k-old" }), 1, "kept forever by 302");

    // Running again (a bucket of its own; the job measures ages from the real clock) changes nothing.
    assert.equal((await scheduler.runJob(RETENTION_JOB, Date.now() + 7 * DAY_MS)).outcome, "ran");
    assert.deepEqual(await grants(), [`${room}:r-new`, `${both}:m-new`, `${kept}:k-old`].sort());
  });
});
