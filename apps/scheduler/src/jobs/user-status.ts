import type { Redis } from "@im/infra";
import { isDuplicateKeyError } from "@im/infra";
import type { Db } from "mongodb";
import type { JobContext, JobSpec } from "./context.js";

export const USER_STATUS_JOB = "user-status-snapshot";
export const USER_STATUS_COLLECTION = "UserStatusCount";
const PRESENCE_PATTERN = "im:presence:*";

/** One snapshot of the cluster's users (the seed's UserStatusCount), for the admin console's online trend. */
export interface UserStatusCountDoc {
  /** Start of the snapshot's bucket, epoch ms; unique, so a bucket is stored once. */
  time: number;
  /** Distinct users with at least one live presence record. */
  online: number;
  /** Live devices (sockets) by resource (web, android, ios, ...). */
  devices: Record<string, number>;
  /** When the snapshot was taken, epoch ms. */
  createTime: number;
}

export interface PresenceCount {
  online: number;
  devices: Record<string, number>;
}

/**
 * Counts live presence (apps/gateway/src/presence.ts): SCAN over `im:presence:<userId>` sorted sets, whose
 * members `gateway|resource|socketId` are scored by expiry; a member scored after `now` is live.
 */
export async function countPresence(redis: Redis, now: number): Promise<PresenceCount> {
  const seen = new Set<string>();
  let online = 0;
  const devices: Record<string, number> = {};
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", PRESENCE_PATTERN, "COUNT", 500);
    cursor = next;
    const fresh = keys.filter((key) => !seen.has(key));
    for (const key of fresh) seen.add(key);
    if (fresh.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of fresh) pipeline.zrangebyscore(key, `(${now}`, "+inf");
    const replies = (await pipeline.exec()) ?? [];
    for (const [error, members] of replies) {
      if (error) throw error;
      const live = members as string[];
      if (live.length === 0) continue;
      online++;
      for (const member of live) {
        const first = member.indexOf("|");
        const last = member.lastIndexOf("|");
        const resource = first >= 0 && last > first ? member.slice(first + 1, last) : "unknown";
        devices[resource] = (devices[resource] ?? 0) + 1;
      }
    }
  } while (cursor !== "0");
  return { online, devices };
}

export const userStatusCollection = (db: Db) => db.collection<UserStatusCountDoc>(USER_STATUS_COLLECTION);

/** The unique index that makes a bucket's snapshot idempotent (idempotent itself). */
export async function ensureUserStatusIndexes(db: Db): Promise<void> {
  await userStatusCollection(db).createIndex({ time: 1 }, { unique: true, name: "time_unique" });
}

/** The newest stored snapshot, if any. */
export async function latestUserStatus(db: Db): Promise<UserStatusCountDoc | null> {
  return userStatusCollection(db).findOne({}, { sort: { time: -1 }, projection: { _id: 0 } });
}

/**
 * Stores the snapshot of `bucket`. A duplicate key means this bucket was already stored (by an earlier run
 * that crashed before it could mark the bucket done, or by another process), which counts as done.
 */
export async function snapshotUserStatus(context: JobContext, bucket: number): Promise<"stored" | "exists"> {
  const now = Date.now();
  const { online, devices } = await countPresence(context.redis, now);
  await context.checkpoint?.(USER_STATUS_JOB, "counted");
  let outcome: "stored" | "exists" = "stored";
  try {
    await userStatusCollection(context.db).insertOne({ time: bucket, online, devices, createTime: now });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    outcome = "exists";
  }
  await context.checkpoint?.(USER_STATUS_JOB, "stored");
  context.logger.debug({ bucket, online, devices, outcome }, "user status snapshot");
  return outcome;
}

export const userStatusJob = (periodSeconds: number): JobSpec => ({
  name: USER_STATUS_JOB,
  periodSeconds,
  run: async (context, bucket) => {
    await snapshotUserStatus(context, bucket);
  },
});
