import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRedis, type Redis } from "@im/infra";
import {
  bucketOf,
  type JobContext,
  jobLockKey,
  type RunningScheduler,
  USER_STATUS_JOB,
  type UserStatusCountDoc,
  userStatusCollection,
} from "@im/scheduler";
import { type SchedulerStack, startSchedulerStack } from "./harness.js";

const DAY = 86_400;

/** Writes presence records the way the gateway does: `gateway|resource|socketId` scored by expiry. */
async function writePresence(redis: Redis, now: number) {
  await redis.zadd("im:presence:1", now + 60_000, "gw-a|web|s1", now + 60_000, "gw-b|android|s2");
  await redis.zadd("im:presence:2", now - 1_000, "gw-a|web|s3"); // expired only
  await redis.zadd("im:presence:3", now + 60_000, "gw-a|ios|s4", now - 5_000, "gw-a|web|s5");
  await redis.zadd("im:presence:4", now - 60_000, "gw-b|pc|s6", now - 1, "gw-b|pc|s7"); // expired only
  await redis.set("im:presence-unrelated", "x");
}

function metricValue(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("user-status snapshots", () => {
  let stack: SchedulerStack;
  let scheduler: RunningScheduler;
  let redis: Redis;
  let failAt: string | undefined;
  const checkpoint: NonNullable<JobContext["checkpoint"]> = (job, step) => {
    if (job === USER_STATUS_JOB && step === failAt) throw new Error(`simulated crash after ${step}`);
  };

  before(async () => {
    stack = await startSchedulerStack();
    scheduler = await stack.start({ SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: String(DAY) }, { checkpoint });
    redis = createRedis(stack.redis.url, "snapshot-test");
    await writePresence(redis, Date.now());
  });
  after(async () => {
    await redis.quit();
    await stack.stop();
  });

  it("stores distinct live users and devices by resource, once per bucket", async () => {
    const at = Date.now();
    const first = await scheduler.runJob(USER_STATUS_JOB, at);
    assert.equal(first.outcome, "ran");
    assert.equal(first.bucket, bucketOf(at, DAY));
    const docs = await userStatusCollection(scheduler.deps.db).find({}).toArray();
    assert.equal(docs.length, 1);
    assert.equal(docs[0]?.time, first.bucket);
    assert.equal(docs[0]?.online, 2);
    assert.deepEqual(docs[0]?.devices, { web: 1, android: 1, ios: 1 });

    // The same bucket again: the Redis done marker short-cuts it...
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "done");
    // ...and without the marker the unique index makes the insert a no-op.
    await redis.del(`lock:job:${USER_STATUS_JOB}:${first.bucket}`);
    await redis.zadd("im:presence:9", Date.now() + 60_000, "gw-a|web|s9");
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "ran");
    const again = await userStatusCollection(scheduler.deps.db).find({}).toArray();
    assert.equal(again.length, 1);
    assert.equal(again[0]?.online, 2);
    await redis.del("im:presence:9");
  });

  it("reports the stored count as im_cluster_online_users on /metrics", async () => {
    const latest = (await userStatusCollection(scheduler.deps.db).find({}).sort({ time: -1 }).limit(1).toArray())[0] as UserStatusCountDoc;
    const text = await (await fetch(`${scheduler.url}/metrics`)).text();
    assert.equal(metricValue(text, "im_cluster_online_users"), latest.online);
    assert.equal(metricValue(text, "im_cluster_online_devices", 'resource="ios"'), 1);
    assert.equal(metricValue(text, "scheduler_job_runs_total", 'outcome="ran"'), 2);
    assert.equal((await fetch(`${scheduler.url}/healthz`)).status, 200);
  });

  it("completes a run that crashed before or after storing", async () => {
    const at = Date.now() + 2 * DAY * 1000; // a bucket of its own
    const bucket = bucketOf(at, DAY);
    const stored = () => userStatusCollection(scheduler.deps.db).countDocuments({ time: bucket });

    failAt = "counted";
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "failed");
    assert.equal(await stored(), 0);
    assert.equal(await redis.exists(jobLockKey(USER_STATUS_JOB)), 0, "a failed run releases its lock");

    failAt = "stored";
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "failed");
    assert.equal(await stored(), 1);

    failAt = undefined;
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "ran");
    assert.equal(await stored(), 1);
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "done");
  });

  it("skips while another process holds the run lock, and runs once a crashed holder's lock expires", async () => {
    const at = Date.now() + 4 * DAY * 1000;
    await redis.set(jobLockKey(USER_STATUS_JOB), "crashed-holder", "PX", 300);
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "busy");
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal((await scheduler.runJob(USER_STATUS_JOB, at)).outcome, "ran");
    assert.equal(await userStatusCollection(scheduler.deps.db).countDocuments({ time: bucketOf(at, DAY) }), 1);
  });
});
