import type { Redis } from "@im/infra";

/** The user's unread count shown on the app icon (the seed's msgNum), kept in Redis. */
export const badgeKey = (userId: number) => `im:push:badge:${userId}`;
/** Marks that a message was counted for a user, so a re-planned event does not count it twice. */
const countedKey = (userId: number, messageId: string) => `im:push:counted:${userId}:${messageId}`;
/** How long "counted" marks are kept (s): longer than any event stays in the queue. */
export const COUNTED_TTL_SECONDS = 7 * 86_400;

/**
 * Marks a message recalled (its 202 was stored) for the push app, which then sends nothing more for it: its
 * push may still wait in the queue, or between provider retries. Kept as long as "counted" marks.
 */
export const recalledKey = (messageId: string) => `im:push:recalled:${messageId}`;

/** Badges never grow past this (the icon shows "99+" long before). */
export const MAX_BADGE = 9_999;

/**
 * Counts one notified message for a user, once per (user, message) however often it is planned, and
 * returns the badge to send. KEYS[1] badge, KEYS[2] counted mark; ARGV[1] mark TTL s; ARGV[2] max badge.
 */
const COUNT_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  local n = redis.call('INCR', KEYS[1])
  if n > tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[2]); n = tonumber(ARGV[2]) end
  return n
end
return tonumber(redis.call('GET', KEYS[1]) or '0')
`;

/** Adds a notified message to the user's badge (once per message) and returns the new badge. */
export async function countForBadge(redis: Redis, userId: number, messageId: string): Promise<number> {
  const result = await redis.eval(COUNT_ONCE, 2, badgeKey(userId), countedKey(userId, messageId), COUNTED_TTL_SECONDS, MAX_BADGE);
  return Number(result);
}

/** The user's badge now (0 when never counted). */
export async function readBadge(redis: Redis, userId: number): Promise<number> {
  return Number((await redis.get(badgeKey(userId))) ?? 0);
}

/** Sets the user's badge (the client read messages or opened the app: usually 0). */
export async function setBadge(redis: Redis, userId: number, badge: number): Promise<void> {
  if (badge <= 0) await redis.del(badgeKey(userId));
  else await redis.set(badgeKey(userId), Math.min(badge, MAX_BADGE));
}
