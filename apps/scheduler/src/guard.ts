import { randomBytes } from "node:crypto";
import type { Redis } from "@im/infra";

/**
 * Takes the run lock of a job unless this bucket is already done. KEYS[1] = lock, KEYS[2] = done marker;
 * ARGV = token, lock TTL. Returns "done", "busy" or "ok".
 */
const ACQUIRE = `
if redis.call("EXISTS", KEYS[2]) == 1 then return "done" end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return "ok" end
return "busy"`;

/** Pushes the lock's expiry forward while we still hold it. */
const RENEW = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 0`;

/** Releases the lock if we hold it; with ARGV[2] set, first marks the bucket done for ARGV[2] ms. */
const RELEASE = `
if ARGV[2] ~= "" then redis.call("SET", KEYS[2], "1", "PX", ARGV[2]) end
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end
return 1`;

export type GuardOutcome = "ran" | "done" | "busy";

export interface GuardOptions {
  /** Life of the run lock if its holder dies; renewed every third of it while the job runs. */
  lockTtlMs: number;
  /** How long a finished bucket stays marked done (longer than the job's period). */
  doneTtlMs: number;
}

export const jobLockKey = (name: string) => `lock:job:${name}`;
export const jobDoneKey = (name: string, bucket: number) => `lock:job:${name}:${bucket}`;

/**
 * Runs one job's occurrence (`bucket`) at most once at a time across every scheduler process, and once in
 * all after it succeeded. Agenda's own job lock is a findOneAndUpdate, which FerretDB v1 does not run
 * atomically, so two processes can both believe they own a due job; this Redis guard decides.
 * A failed run releases the lock without marking the bucket done, so a later run may redo it; the jobs
 * are written to be safe to rerun after partial work.
 */
export async function runGuarded(
  redis: Redis,
  name: string,
  bucket: number,
  options: GuardOptions,
  work: () => Promise<void>,
): Promise<GuardOutcome> {
  const lock = jobLockKey(name);
  const done = jobDoneKey(name, bucket);
  const token = randomBytes(16).toString("hex");
  const taken = await redis.eval(ACQUIRE, 2, lock, done, token, String(options.lockTtlMs));
  if (taken === "done") return "done";
  if (taken !== "ok") return "busy";
  const renewal = setInterval(
    () => {
      redis.eval(RENEW, 1, lock, token, String(options.lockTtlMs)).catch(() => undefined);
    },
    Math.max(100, Math.floor(options.lockTtlMs / 3)),
  );
  renewal.unref();
  let succeeded = false;
  try {
    await work();
    succeeded = true;
  } finally {
    clearInterval(renewal);
    await redis.eval(RELEASE, 2, lock, done, token, succeeded ? String(options.doneTtlMs) : "");
  }
  return "ran";
}
