import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type JobContext, PUSH_LOG_JOB, prunePushLog, type RunningScheduler } from "@im/scheduler";
import { type SchedulerStack, startSchedulerStack } from "../scheduler/harness.js";

const DAY_MS = 86_400_000;

describe("push log retention (scheduler job push-log-retention)", () => {
  let stack: SchedulerStack;
  let scheduler: RunningScheduler;
  before(async () => {
    stack = await startSchedulerStack("im_push_log");
    scheduler = await stack.start({ PUSH_LOG_RETENTION_DAYS: "30", SCHEDULER_PUSH_LOG_INTERVAL_SECONDS: "604800" });
  });
  after(() => stack?.stop());

  const record = (id: string, ageDays: number) => ({
    _id: id,
    messageId: id,
    conversationId: "s_1_2",
    userId: 2,
    deviceId: "d".repeat(64),
    provider: "fcm",
    kind: "alert",
    outcome: "sent",
    time: Date.now() - ageDays * DAY_MS,
  });

  it("removes records older than PUSH_LOG_RETENTION_DAYS in batches, keeps newer ones, and finishes after a crash", async () => {
    const { pushLog } = scheduler.deps.models;
    const old = Array.from({ length: 7 }, (_, i) => record(`old-${i}`, 31 + i));
    const fresh = Array.from({ length: 3 }, (_, i) => record(`fresh-${i}`, 29 - i));
    await pushLog.insertMany([...old, ...fresh]);

    // A run that dies after its first batch of 3 leaves the rest for the next run.
    let crash = true;
    const context: JobContext = {
      ...scheduler.deps,
      checkpoint: (job) => {
        if (job === PUSH_LOG_JOB && crash) {
          crash = false;
          throw new Error("simulated crash");
        }
      },
    };
    await assert.rejects(prunePushLog(context, { retentionDays: 30, batchSize: 3 }), /simulated crash/);
    assert.equal(await pushLog.countDocuments({ _id: { $regex: "^old-" } }), 4, "the first batch went, oldest first");
    assert.equal(await pushLog.countDocuments({ _id: "old-6" }), 0, "the oldest went first");

    const run = await scheduler.runJob(PUSH_LOG_JOB);
    assert.equal(run.outcome, "ran");
    const left = (await pushLog.find({}, { _id: 1 }).lean()).map((doc) => doc._id).sort();
    assert.deepEqual(left, ["fresh-0", "fresh-1", "fresh-2"]);
    assert.ok(scheduler.deps.jobs.has(PUSH_LOG_JOB), "registered with the scheduler");
  });
});
