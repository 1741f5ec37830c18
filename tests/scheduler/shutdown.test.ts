import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type JobRunEvent, jobLockKey, USER_STATUS_JOB } from "@im/scheduler";
import { type SchedulerStack, startSchedulerStack } from "./harness.js";

// Issue 10 item h, for the scheduler: a graceful stop lets a running job finish, and leaves no job lock
// (Redis run lock or Agenda lock) behind for the other replicas to wait out.
describe("graceful scheduler shutdown", () => {
  let stack: SchedulerStack;
  before(async () => {
    stack = await startSchedulerStack("im_scheduler_shutdown");
  });
  after(() => stack.stop());

  it("finishes the running job, then releases its locks before the stores close", async () => {
    let jobStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      jobStarted = resolve;
    });
    const steps: string[] = [];
    const events: JobRunEvent[] = [];
    const scheduler = await stack.start(
      { SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: "1", SCHEDULER_PROCESS_EVERY_MS: "100", SCHEDULER_JOB_LOCK_TTL_MS: "5000" },
      {
        onJobRun: (event) => events.push(event),
        checkpoint: async (job, step) => {
          if (job !== USER_STATUS_JOB) return;
          steps.push(step);
          if (step === "counted" && steps.length === 1) {
            jobStarted();
            await sleep(800);
          }
        },
      },
    );
    await started;
    const { redis, config } = scheduler.deps;
    assert.ok(await redis.exists(jobLockKey(USER_STATUS_JOB)), "the run holds its Redis lock");
    const stopping = scheduler.close();
    // Readiness goes false first.
    await sleep(50);
    assert.equal((await fetch(`${scheduler.url}/readyz`)).status, 503);
    await stopping;
    assert.deepEqual(steps.slice(0, 2), ["counted", "stored"], "the running job finished");
    assert.equal(events[0]?.outcome, "ran");

    // Read through a fresh connection: the scheduler's own are closed now.
    const probe = await stack.start({ SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: "86400" });
    try {
      assert.equal(await probe.deps.redis.exists(jobLockKey(USER_STATUS_JOB)), 0, "no Redis run lock left");
      const locked = await probe.deps.db
        .collection(config.SCHEDULER_AGENDA_COLLECTION)
        .countDocuments({ name: USER_STATUS_JOB, lockedAt: { $ne: null } });
      assert.equal(locked, 0, "no Agenda lock left");
    } finally {
      await probe.close();
    }
  });
});
