import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";

/** Raised when a lock could not be taken within the wait budget; callers answer "busy, retry". */
export class LockBusyError extends Error {
  constructor(readonly keys: string[]) {
    super(`lock busy: ${keys.join(", ")}`);
    this.name = "LockBusyError";
  }
}

const RELEASE = `
for i, key in ipairs(KEYS) do
  if redis.call("GET", key) == ARGV[1] then redis.call("DEL", key) end
end
return 1`;

/** Takes all keys or none, atomically (Redis runs the script alone). */
const ACQUIRE = `
for i, key in ipairs(KEYS) do
  if redis.call("EXISTS", key) == 1 then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call("SET", key, ARGV[1], "PX", ARGV[2])
end
return 1`;

export interface LockOptions {
  /** How long a lock lives if its holder dies. @default 10000 */
  ttlMs?: number;
  /** How long to wait for the locks before giving up with LockBusyError. @default 5000 */
  waitMs?: number;
}

/**
 * Runs `work` while holding Redis locks on every key (taken together, so two callers locking the same
 * pair in a different order cannot deadlock). This is how read-modify-write sequences stay correct on
 * FerretDB v1, whose updates are not atomic.
 */
export async function withLocks<T>(redis: Redis, keys: string[], work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const unique = [...new Set(keys)].sort();
  const token = randomBytes(16).toString("hex");
  const ttlMs = options.ttlMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  let delay = 5;
  while ((await redis.eval(ACQUIRE, unique.length, ...unique, token, String(ttlMs))) !== 1) {
    if (Date.now() > deadline) throw new LockBusyError(unique);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 20);
  }
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, unique.length, ...unique, token);
  }
}
