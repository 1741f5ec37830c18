import type { Redis } from "ioredis";

const RAISE = `
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
local floor = tonumber(ARGV[1])
if current < floor then redis.call("SET", KEYS[1], floor); return floor end
return current`;

/**
 * Makes sure a Redis counter is at least `floor` (e.g. the highest id already stored in MongoDB), so that
 * INCR never hands out an id that exists even after Redis lost its data.
 */
export async function raiseCounter(redis: Redis, key: string, floor: number): Promise<number> {
  return Number(await redis.eval(RAISE, 1, key, String(floor)));
}
