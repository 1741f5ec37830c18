export { loadSchedulerConfig, type SchedulerConfig, schedulerConfigSchema } from "./config.js";
export { type GuardOptions, type GuardOutcome, jobDoneKey, jobLockKey, runGuarded } from "./guard.js";
export type { JobContext, JobSpec } from "./jobs/context.js";
export {
  expireMedia,
  MEDIA_EXPIRY_JOB,
  type MediaExpiryOptions,
  type MediaExpiryResult,
  mediaExpiryJob,
  ORPHAN_CURSOR_KEY,
} from "./jobs/media-expiry.js";
export { PUSH_LOG_JOB, type PushLogJobOptions, prunePushLog, pushLogJob } from "./jobs/push-log.js";
export { deleteExpiredMessages, platformRetentionDays, RETENTION_JOB, type RetentionResult, retentionJob } from "./jobs/retention.js";
export {
  countPresence,
  ensureUserStatusIndexes,
  latestUserStatus,
  type PresenceCount,
  snapshotUserStatus,
  USER_STATUS_COLLECTION,
  USER_STATUS_JOB,
  type UserStatusCountDoc,
  userStatusCollection,
  userStatusJob,
} from "./jobs/user-status.js";
export { bucketOf, repeatEvery } from "./schedule.js";
export { type JobRunEvent, type RunningScheduler, type SchedulerDeps, type SchedulerOptions, startScheduler } from "./server.js";
