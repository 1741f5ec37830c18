import { type Redis, raiseCounter } from "@im/infra";

const seqKey = (conversationId: string) => `im:seq:${conversationId}`;

const INCR_IF_EXISTS = `
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
return redis.call("INCR", KEYS[1])`;

/**
 * Hands out a conversation's next sequence number: Redis INCR, atomic across every gateway process. When
 * the counter is missing (new conversation, or Redis lost its data) it is first raised to the highest seq
 * stored in MongoDB, so a seq is never handed out twice.
 */
export async function nextSeq(redis: Redis, conversationId: string, highestStored: () => Promise<number>): Promise<number> {
  const seq = Number(await redis.eval(INCR_IF_EXISTS, 1, seqKey(conversationId)));
  if (seq !== -1) return seq;
  await raiseCounter(redis, seqKey(conversationId), await highestStored());
  return redis.incr(seqKey(conversationId));
}

/** The latest seq handed out per conversation (0 when unknown). */
export async function currentSeqs(redis: Redis, conversationIds: string[]): Promise<Map<string, number>> {
  if (conversationIds.length === 0) return new Map();
  const values = await redis.mget(conversationIds.map(seqKey));
  return new Map(conversationIds.map((id, i) => [id, Number(values[i] ?? 0)]));
}

/** Makes sure the counter exists and is at least the stored maximum (used before answering a sync). */
export async function ensureSeq(redis: Redis, conversationId: string, highestStored: () => Promise<number>): Promise<number> {
  return raiseCounter(redis, seqKey(conversationId), await highestStored());
}
