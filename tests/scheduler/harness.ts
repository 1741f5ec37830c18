import { loadSchedulerConfig, type RunningScheduler, type SchedulerConfig, type SchedulerOptions, startScheduler } from "@im/scheduler";
import { type FerretDbServer, type RedisServer, startFerretDb, startRedis } from "@im/testing";

export interface SchedulerStack {
  redis: RedisServer;
  mongo: FerretDbServer;
  config(env?: Record<string, string>): SchedulerConfig;
  start(env?: Record<string, string>, options?: SchedulerOptions): Promise<RunningScheduler>;
  stop(): Promise<void>;
}

/**
 * Real Redis and FerretDB on free ports, and schedulers on them. Periods default to a day and a week so
 * Agenda's own runs stay out of tests that call the jobs directly.
 */
export async function startSchedulerStack(database = "im_scheduler"): Promise<SchedulerStack> {
  const [redis, mongo] = await Promise.all([startRedis(), startFerretDb()]);
  const started: RunningScheduler[] = [];
  let count = 0;
  const config = (env: Record<string, string> = {}) =>
    loadSchedulerConfig({
      SCHEDULER_HOST: "127.0.0.1",
      SCHEDULER_PORT: "0",
      SCHEDULER_ID: `test-${++count}`,
      MONGO_URL: mongo.urlFor(database),
      REDIS_URL: redis.url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: "86400",
      SCHEDULER_RETENTION_INTERVAL_SECONDS: "604800",
      SCHEDULER_MEDIA_EXPIRY_INTERVAL_SECONDS: "604800",
      SCHEDULER_PROCESS_EVERY_MS: "200",
      SCHEDULER_JOB_LOCK_TTL_MS: "2000",
      ...env,
    });
  return {
    redis,
    mongo,
    config,
    async start(env = {}, options = {}) {
      const scheduler = await startScheduler(config(env), options);
      started.push(scheduler);
      return scheduler;
    },
    async stop() {
      await Promise.all(started.map((s) => s.close().catch(() => undefined)));
      await Promise.all([redis.stop(), mongo.stop()]);
    },
  };
}
