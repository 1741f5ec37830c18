import { hostname } from "node:os";
import { envInt, loadConfig, mediaSettings, platformSettings, pushQueueSettings } from "@im/config";
import { z } from "zod";

/** Every setting of the scheduler (periodic jobs on Agenda), read from environment variables. */
export const schedulerConfigSchema = z.object({
  SCHEDULER_HOST: z.string().default("0.0.0.0").describe("Address the /metrics and /healthz endpoint binds"),
  SCHEDULER_PORT: envInt(9470, 0, 65535).describe("Port of /metrics and /healthz; 0 picks a free port"),
  SCHEDULER_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default(`${hostname()}-${process.pid}`)
    .describe("This process's name in Agenda's job locks"),
  ...platformSettings,
  ...pushQueueSettings,
  SCHEDULER_AGENDA_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/)
    .default("agendaJobs")
    .describe("MongoDB collection Agenda keeps its job documents in"),
  SCHEDULER_PROCESS_EVERY_MS: envInt(5_000, 50, 600_000).describe("How often Agenda polls MongoDB for due jobs"),
  SCHEDULER_JOB_LOCK_TTL_MS: envInt(300_000, 1_000, 86_400_000).describe(
    "Life of a job's Redis run lock; renewed while the job runs, so a crashed holder frees it after this long",
  ),
  SCHEDULER_SNAPSHOT_INTERVAL_SECONDS: envInt(60, 1, 86_400).describe(
    "User-status snapshot period (UserStatusCount): one snapshot per bucket of this many seconds",
  ),
  SCHEDULER_RETENTION_INTERVAL_SECONDS: envInt(3_600, 1, 604_800).describe(
    "How often expired chat records are deleted (chatRecordTimeOut of users and of the client config)",
  ),
  SCHEDULER_PUSH_LOG_INTERVAL_SECONDS: envInt(3_600, 1, 604_800).describe(
    "How often push log records past PUSH_LOG_RETENTION_DAYS are removed",
  ),
  PUSH_LOG_RETENTION_DAYS: envInt(30, 1, 3_650).describe("Push log records (push_log) older than this are removed, days"),
  ...mediaSettings,
  SCHEDULER_MEDIA_EXPIRY_INTERVAL_SECONDS: envInt(3_600, 1, 604_800).describe(
    "How often expired chat media (uploads past their fileValidTime) and abandoned multipart uploads are deleted",
  ),
  SCHEDULER_MEDIA_EXPIRY_BATCH: envInt(200, 1, 10_000).describe("Uploads read and deleted per batch by the media-expiry job"),
  SCHEDULER_PENDING_UPLOAD_MAX_AGE_SECONDS: envInt(86_400, 60, 30 * 86_400).describe(
    "Age after which an unfinished multipart upload is abandoned: aborted in storage and its record removed",
  ),
  SCHEDULER_MEDIA_ORPHAN_MIN_AGE_SECONDS: envInt(86_400, 0, 30 * 86_400).describe(
    "Age after which an object under media/ or thumbs/ that no upload or blob record names is removed by the media-expiry job",
  ),
  SCHEDULER_MEDIA_ORPHAN_SCAN_LIMIT: envInt(1_000, 1, 100_000).describe(
    "Most objects the media-expiry job's orphan sweep examines per run (it goes on from there next run)",
  ),
});

export type SchedulerConfig = z.output<typeof schedulerConfigSchema>;

export function loadSchedulerConfig(env: NodeJS.ProcessEnv = process.env): SchedulerConfig {
  return loadConfig(schedulerConfigSchema, env, { ownPrefixes: ["SCHEDULER_"] });
}
