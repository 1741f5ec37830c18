import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type JobRunEvent, USER_STATUS_JOB, userStatusCollection } from "@im/scheduler";
import { type SchedulerStack, startSchedulerStack } from "./harness.js";

describe("scheduling through Agenda across processes", () => {
  let stack: SchedulerStack;
  before(async () => {
    stack = await startSchedulerStack();
  });
  after(async () => stack.stop());

  it("two schedulers on the same databases run each due snapshot exactly once", async () => {
    const events: Array<JobRunEvent & { process: number }> = [];
    const env = { SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: "1", SCHEDULER_PROCESS_EVERY_MS: "100", SCHEDULER_JOB_LOCK_TTL_MS: "1000" };
    const [a, b] = await Promise.all(
      [1, 2].map((process) => stack.start(env, { onJobRun: (event) => events.push({ ...event, process }) })),
    );
    assert.ok(a && b);
    await sleep(4_500);
    await Promise.all([a.close(), b.close()]);

    const snapshots = events.filter((e) => e.job === USER_STATUS_JOB);
    const ran = snapshots.filter((e) => e.outcome === "ran");
    assert.equal(
      snapshots.filter((e) => e.outcome === "failed").length,
      0,
      JSON.stringify(snapshots.filter((e) => e.outcome === "failed")),
    );
    assert.ok(ran.length >= 2, `expected scheduled runs, got ${JSON.stringify(snapshots)}`);
    const buckets = ran.map((e) => e.bucket);
    assert.equal(new Set(buckets).size, buckets.length, `a bucket ran twice: ${JSON.stringify(snapshots)}`);

    const stored = await stack.start(); // a fresh connection to read the results with
    const docs = await userStatusCollection(stored.deps.db).find({}).toArray();
    assert.deepEqual(docs.map((d) => d.time).sort(), [...buckets].sort());
    const jobDocs = await stored.deps.db.collection("agendaJobs").countDocuments({ name: USER_STATUS_JOB });
    assert.equal(jobDocs, 1, "both processes share one repeating job document");
  });
});
