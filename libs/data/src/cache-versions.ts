import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "@im/infra";

/**
 * Version tags of the data the gateways cache to authorise message sends (apps/gateway/src/targets):
 * a room's status, mute and members, and a user's status and blacklist.
 *
 * `im:ver:room:<roomId>` and `im:ver:user:<userId>` hold an opaque random token. A gateway reads the
 * token, and uses a cached entry only if it was loaded under that same token, read before the load. Every
 * write that changes what an entry holds goes through `withVersionBump`, which replaces the token after the
 * MongoDB write and before the API answers, so the next send on any gateway reloads. Tokens are random,
 * never counters: if Redis loses its data, no new token can ever equal an old cached one.
 *
 * A change also marks the entity as changing while its write runs (`<key>:pending`, a sorted set of
 * writers by deadline). While a mark is live the gateways read MongoDB on every send and keep nothing, as
 * they did before there was a cache. So a writer that fails after its MongoDB write (Redis unreachable, the
 * process dies) leaves the entity uncached until the mark expires, never stale: the token was already
 * replaced when the mark was set, so no entry loaded before the change can match again.
 *
 * What must bump (keep this list current when adding writes):
 * - room: `shiku_room.status` / `talkTime`, and any create, delete, or `role` / `talkTime` change of a
 *   `shiku_room_member` (apps/api/src/features/rooms).
 * - user: any write of a `u_friends` document the user owns (userId = the user; the blacklist lives there,
 *   apps/api/src/features/friends/pair.ts), and `user.status` (nothing writes it today).
 */

/** The version key of a room's authorisation data (status, room-wide mute, members with role and mute). */
export const roomVersionKey = (roomId: string) => `im:ver:room:${roomId}`;
/** The version key of a user's authorisation data as a recipient (status, the users they block). */
export const userVersionKey = (userId: number) => `im:ver:user:${userId}`;
const pendingKey = (versionKey: string) => `${versionKey}:pending`;

/** How long a token lives without a change (afterwards it is recreated: one reload per entity). */
export const VERSION_TTL_SECONDS = 7 * 24 * 60 * 60;
/**
 * How long a change's mark lasts if its writer never clears it: the bound on how long a write may take
 * (well above the API's lock TTLs), and how long an entity stays uncached after a writer died mid-change.
 */
export const CHANGE_MARK_TTL_MS = 5 * 60_000;

/**
 * KEYS: version, pending. ARGV: none. Drops expired marks; returns false while a change is in progress,
 * "" when the entity has no token, else the token.
 */
const READ = `
if redis.call("EXISTS", KEYS[2]) == 1 then
  local t = redis.call("TIME")
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", t[1] * 1000 + math.floor(t[2] / 1000))
  if redis.call("ZCARD", KEYS[2]) > 0 then return false end
end
local v = redis.call("GET", KEYS[1])
if not v then return "" end
return v`;

/**
 * KEYS: version, pending. ARGV: fresh token, version TTL s. Gives a token to an entity that has none,
 * unless a change began meanwhile (then it has one, or a mark). Returns the token set, or false.
 */
const CLAIM = `
if redis.call("EXISTS", KEYS[2]) == 1 then return false end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2]) then return ARGV[1] end
return false`;

/**
 * KEYS: version1, pending1, version2, pending2, ... ARGV: writer id, mark TTL ms, version TTL s, then one
 * fresh token per entity. Marks each entity as changing (until Redis time + TTL) and replaces its token.
 */
const BEGIN = `
local t = redis.call("TIME")
local deadline = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[2])
for i = 1, #KEYS, 2 do
  redis.call("ZADD", KEYS[i + 1], deadline, ARGV[1])
  redis.call("PEXPIRE", KEYS[i + 1], ARGV[2])
  redis.call("SET", KEYS[i], ARGV[3 + (i + 1) / 2], "EX", ARGV[3])
end
return 1`;

const sha1 = (script: string) => createHash("sha1").update(script).digest("hex");
const SHAS = new Map([READ, CLAIM, BEGIN].map((script) => [script, sha1(script)]));

/** EVALSHA (the hot path sends no script text), loading the script with EVAL when Redis does not know it. */
async function runScript(redis: Redis, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  const sha = SHAS.get(script) ?? sha1(script);
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}

/**
 * An entity's version as a reader sees it: its token; `null` while a change is in progress (load, and
 * keep nothing); `undefined` when it has no token yet (load, then `claimVersion`).
 */
export async function readVersion(redis: Redis, key: string): Promise<string | null | undefined> {
  const value = (await runScript(redis, READ, [key, pendingKey(key)], [])) as string | null;
  return value === "" ? undefined : value;
}

/**
 * After loading an entity that had no token (`readVersion` gave undefined), creates one and returns it,
 * to tag what was loaded; null when a change began since the read (then the load may be stale: keep
 * nothing). Readers create tokens only for entities that exist, so unknown ids leave no keys behind.
 */
export async function claimVersion(redis: Redis, key: string): Promise<string | null> {
  return (await runScript(redis, CLAIM, [key, pendingKey(key)], [randomUUID(), VERSION_TTL_SECONDS])) as string | null;
}

/** Replaces the tokens of `keys` with new random ones (one MULTI): entries cached under the old ones are dead. */
export async function bumpVersions(redis: Redis, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const multi = redis.multi();
  for (const key of new Set(keys)) multi.set(key, randomUUID(), "EX", VERSION_TTL_SECONDS);
  throwFirstError(await multi.exec());
}

function throwFirstError(results: Array<[Error | null, unknown]> | null): void {
  const failed = results?.find(([error]) => error)?.[0];
  if (failed) throw failed;
}

/**
 * Runs `write` (the MongoDB write that changes the cached data of `keys`) as a change: marks the entities
 * as changing with new tokens, writes, then clears the marks and replaces the tokens again (one MULTI),
 * before returning, so the next send on any gateway sees the change. The marks are cleared even when
 * `write` fails (it may have written part); if clearing fails, they expire after CHANGE_MARK_TTL_MS and
 * the entities stay uncached until then.
 */
export async function withVersionBump<T>(redis: Redis, keys: string[], write: () => Promise<T>): Promise<T> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return write();
  const writer = randomUUID();
  await runScript(
    redis,
    BEGIN,
    unique.flatMap((key) => [key, pendingKey(key)]),
    [writer, CHANGE_MARK_TTL_MS, VERSION_TTL_SECONDS, ...unique.map(() => randomUUID())],
  );
  const finish = async () => {
    const multi = redis.multi();
    for (const key of unique) multi.zrem(pendingKey(key), writer).set(key, randomUUID(), "EX", VERSION_TTL_SECONDS);
    throwFirstError(await multi.exec());
  };
  let result: T;
  try {
    result = await write();
  } catch (error) {
    await finish().catch(() => undefined);
    throw error;
  }
  await finish();
  return result;
}
