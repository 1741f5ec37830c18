import { MongoBackend } from "@agendajs/mongo-backend";
import { createModels, type Models } from "@im/data";
import { type Connection, connectMongo, createRedis, type Redis, withLocks } from "@im/infra";
import { createObjectStorage, type ObjectStorage } from "@im/media";
import { assertShardLayout, MessageShards } from "@im/messaging";
import { orderedClose, Readiness, startHealthServer } from "@im/service";
import { Counter, createLogger, createMetricsRegistry, createMongoCommandMetrics, Gauge, type Logger, type Registry } from "@im/telemetry";
import { Agenda } from "agenda";
import type { Db } from "mongodb";
import type { SchedulerConfig } from "./config.js";
import { type GuardOutcome, runGuarded } from "./guard.js";
import type { JobContext, JobSpec } from "./jobs/context.js";
import { mediaExpiryJob } from "./jobs/media-expiry.js";
import { pushLogJob } from "./jobs/push-log.js";
import { retentionJob } from "./jobs/retention.js";
import { ensureUserStatusIndexes, latestUserStatus, type UserStatusCountDoc, userStatusJob } from "./jobs/user-status.js";
import { bucketOf, repeatEvery } from "./schedule.js";

export interface SchedulerDeps {
  config: SchedulerConfig;
  logger: Logger;
  redis: Redis;
  mongo: Connection;
  db: Db;
  models: Models;
  shards: MessageShards;
  metrics: Registry;
  /** The media bucket (S3_* settings); the media-expiry job deletes from it. */
  storage: ObjectStorage;
  agenda: Agenda;
  jobs: ReadonlyMap<string, JobSpec>;
}

/** One guarded run of a job, as reported to `onJobRun`. */
export interface JobRunEvent {
  job: string;
  bucket: number;
  /** ran = this process did the work; done = the bucket was already done; busy = another run holds the lock; failed = it threw. */
  outcome: GuardOutcome | "failed";
  error?: unknown;
}

export interface SchedulerOptions {
  logger?: Logger;
  /** Called after every run attempt (tests count runs with it). */
  onJobRun?: (event: JobRunEvent) => void;
  /** Passed to the jobs as JobContext.checkpoint (tests simulate crashes with it). */
  checkpoint?: JobContext["checkpoint"];
}

export interface RunningScheduler {
  readonly url: string;
  readonly port: number;
  readonly deps: SchedulerDeps;
  /** Runs a job's current bucket now, through the same Redis guard as a scheduled run. */
  runJob(name: string, at?: number): Promise<JobRunEvent>;
  close(): Promise<void>;
}

/** Starts one scheduler process: Agenda on the platform's MongoDB, every run guarded by a Redis lock. */
export async function startScheduler(config: SchedulerConfig, options: SchedulerOptions = {}): Promise<RunningScheduler> {
  const logger = options.logger ?? createLogger({ name: "scheduler", level: config.LOG_LEVEL });
  const metrics = createMetricsRegistry("scheduler");
  const mongo = await connectMongo(config.MONGO_URL, { onCommand: createMongoCommandMetrics(metrics) });
  const redis = createRedis(config.REDIS_URL, `scheduler-${config.SCHEDULER_ID}`, logger);
  const db = mongo.db as unknown as Db | undefined;
  if (!db) throw new Error("MongoDB connection is not open");
  const models = createModels(mongo);
  await assertShardLayout(mongo, config.MESSAGE_SHARDS);
  const shards = new MessageShards(mongo, config.MESSAGE_SHARDS);
  await shards.syncIndexes();
  await ensureUserStatusIndexes(db);

  const runs = new Counter({
    name: "scheduler_job_runs_total",
    help: "Scheduler job run attempts by job and outcome (ran, done, busy, failed)",
    labelNames: ["job", "outcome"],
    registers: [metrics],
  });
  // Both gauges read the newest stored snapshot, so every replica reports the stored series.
  // One read per scrape, shared by both gauges; on a read error the last value read stands.
  let latest: UserStatusCountDoc | null = null;
  let reading: Promise<UserStatusCountDoc | null> | undefined;
  const readLatest = () => {
    reading ??= latestUserStatus(db)
      .then((doc) => (latest = doc ?? latest))
      .catch(() => latest)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  new Gauge({
    name: "im_cluster_online_users",
    help: "Distinct users online in the cluster at the newest UserStatusCount snapshot",
    registers: [metrics],
    async collect() {
      const doc = await readLatest();
      if (doc) this.set(doc.online);
    },
  });
  new Gauge({
    name: "im_cluster_online_devices",
    help: "Live devices by resource at the newest UserStatusCount snapshot",
    labelNames: ["resource"],
    registers: [metrics],
    async collect() {
      const doc = await readLatest();
      this.reset();
      for (const [resource, count] of Object.entries(doc?.devices ?? {})) this.set({ resource }, count);
    },
  });

  // No request at start: a storage outage fails the media-expiry runs (retried next period), not the scheduler.
  const storage = createObjectStorage(config, { registry: metrics });
  const expired = new Counter({
    name: "im_media_expired_total",
    help: "Uploads (and orphan objects) handled by the media-expiry job by outcome (deleted, released, abandoned, shared, orphans, failed)",
    labelNames: ["outcome"],
    registers: [metrics],
  });
  const jobs = new Map<string, JobSpec>(
    [
      userStatusJob(config.SCHEDULER_SNAPSHOT_INTERVAL_SECONDS),
      retentionJob(config.SCHEDULER_RETENTION_INTERVAL_SECONDS),
      mediaExpiryJob(config.SCHEDULER_MEDIA_EXPIRY_INTERVAL_SECONDS, {
        batchSize: config.SCHEDULER_MEDIA_EXPIRY_BATCH,
        pendingMaxAgeMs: config.SCHEDULER_PENDING_UPLOAD_MAX_AGE_SECONDS * 1_000,
        orphanMinAgeMs: config.SCHEDULER_MEDIA_ORPHAN_MIN_AGE_SECONDS * 1_000,
        orphanScanLimit: config.SCHEDULER_MEDIA_ORPHAN_SCAN_LIMIT,
        storage,
        counter: expired,
      }),
      pushLogJob(config.SCHEDULER_PUSH_LOG_INTERVAL_SECONDS, { retentionDays: config.PUSH_LOG_RETENTION_DAYS }),
    ].map((job) => [job.name, job]),
  );
  const context: JobContext = { redis, db, models, shards, logger, ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}) };

  const runJob = async (name: string, at = Date.now()): Promise<JobRunEvent> => {
    const job = jobs.get(name);
    if (!job) throw new Error(`no job ${name}`);
    const bucket = bucketOf(at, job.periodSeconds);
    let event: JobRunEvent;
    try {
      const outcome = await runGuarded(
        redis,
        name,
        bucket,
        { lockTtlMs: config.SCHEDULER_JOB_LOCK_TTL_MS, doneTtlMs: Math.max(2 * job.periodSeconds * 1_000, 60_000) },
        () => job.run(context, bucket),
      );
      event = { job: name, bucket, outcome };
    } catch (error) {
      event = { job: name, bucket, outcome: "failed", error };
    }
    runs.inc({ job: name, outcome: event.outcome });
    options.onJobRun?.(event);
    return event;
  };

  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: config.SCHEDULER_AGENDA_COLLECTION }),
    name: config.SCHEDULER_ID,
    processEvery: config.SCHEDULER_PROCESS_EVERY_MS,
    defaultLockLifetime: config.SCHEDULER_JOB_LOCK_TTL_MS,
    defaultConcurrency: 1,
  });
  agenda.on("error", (error) => logger.error({ err: error }, "agenda error"));
  for (const job of jobs.values()) {
    agenda.define(job.name, async (agendaJob) => {
      // Agenda fails a run that outlives its lock lifetime unless the run touches its job document.
      const touch = setInterval(
        () => {
          agendaJob.touch().catch(() => undefined);
        },
        Math.max(100, Math.floor(config.SCHEDULER_JOB_LOCK_TTL_MS / 3)),
      );
      try {
        const event = await runJob(job.name);
        if (event.outcome === "failed") throw event.error;
      } finally {
        clearInterval(touch);
      }
    });
  }
  await agenda.ready;
  // Upserting the repeat definitions is a read-then-write on FerretDB: serialize it across processes so
  // two schedulers starting together cannot create the same job twice.
  await withLocks(
    redis,
    ["lock:agenda:schedule"],
    async () => {
      for (const job of jobs.values()) {
        await agenda.every(repeatEvery(job.periodSeconds), job.name, undefined, { timezone: "UTC", skipImmediate: true });
      }
    },
    { ttlMs: 30_000, waitMs: 30_000 },
  );
  await agenda.start();

  const readiness = new Readiness({ mongo: () => mongo.readyState === 1, redis: () => redis.status === "ready" });
  const health = await startHealthServer({
    registry: metrics,
    ready: () => readiness.isReady(),
    host: config.SCHEDULER_HOST,
    port: config.SCHEDULER_PORT,
  });
  const { port, url } = health;
  logger.info({ port, schedulerId: config.SCHEDULER_ID, jobs: [...jobs.keys()] }, "scheduler started");

  const deps: SchedulerDeps = { config, logger, redis, mongo, db, models, shards, metrics, storage, agenda, jobs };
  return {
    url,
    port,
    deps,
    runJob,
    close: orderedClose(
      [
        { name: "readiness", run: () => readiness.drain() },
        {
          // Agenda polls no more and waits for running jobs; each run releases its Redis run lock and its
          // Agenda lock as it ends. Agenda leaves a liveness timer of up to half the lock lifetime pending
          // after each run; main exits the process, tests use a short SCHEDULER_JOB_LOCK_TTL_MS.
          name: "agenda",
          run: async () => {
            const drained = await agenda.drain({ timeout: 20_000, closeConnection: false });
            if (drained.timedOut) logger.warn({ running: drained.running }, "jobs still running at shutdown");
          },
        },
        { name: "health server", run: () => health.close() },
        { name: "redis", run: () => redis.quit() },
        { name: "mongodb", run: () => mongo.close() },
      ],
      logger,
    ),
  };
}
