import type { JobContext, JobSpec } from "./context.js";

export const PUSH_LOG_JOB = "push-log-retention";
const DAY_MS = 86_400_000;

export interface PushLogJobOptions {
  /** Records older than this many days are removed (PUSH_LOG_RETENTION_DAYS). */
  retentionDays: number;
  /** Records removed per deleteMany (bounded so one run never holds a huge request). */
  batchSize?: number;
}

/**
 * Removes push log records (push_log, the seed's Notice) older than the retention, oldest first, in batches
 * of `batchSize` ids: read by the `time` index, deleted by `_id`. Returns how many were removed. Safe to
 * repeat or to crash in: a later run removes what is left.
 */
export async function prunePushLog(context: JobContext, options: PushLogJobOptions, now = Date.now()): Promise<number> {
  const cutoff = now - options.retentionDays * DAY_MS;
  const batchSize = options.batchSize ?? 1_000;
  let removed = 0;
  for (;;) {
    const batch = await context.models.pushLog
      .find({ time: { $lt: cutoff } }, { _id: 1 })
      .sort({ time: 1 })
      .limit(batchSize)
      .lean();
    if (batch.length === 0) break;
    const result = await context.models.pushLog.deleteMany({ _id: { $in: batch.map((doc) => doc._id) } });
    removed += result.deletedCount;
    await context.checkpoint?.(PUSH_LOG_JOB, "batch");
    if (batch.length < batchSize) break;
  }
  if (removed > 0) context.logger.info({ removed, cutoff }, "push log records removed");
  return removed;
}

/** The push log retention job (issue 12 §3 "a push log with retention"), every `periodSeconds`. */
export function pushLogJob(periodSeconds: number, options: PushLogJobOptions): JobSpec {
  return {
    name: PUSH_LOG_JOB,
    periodSeconds,
    run: async (context) => {
      await prunePushLog(context, options);
    },
  };
}
