import { type Redis, raiseCounter } from "@im/infra";
import { copiesOf } from "./copies.js";
import type { MessageStore } from "./store-context.js";

/** The Redis counter of a conversation: the latest seq handed out. */
export const seqKey = (conversationId: string) => `im:seq:${conversationId}`;
/** The seqs handed out whose copies are not all stored yet, scored by their lease deadline (Redis time, ms). */
export const inFlightKey = (conversationId: string) => `im:inflight:${conversationId}`;

/** A seq's lease when the store is not told otherwise: a writer that has not stored by then is presumed dead. */
export const DEFAULT_SEQ_LEASE_MS = 10_000;

/**
 * INCR the counter and record the seq as in flight until now + lease (ARGV[1], ms), in one atomic step.
 * -1 when the counter is missing and ARGV[2] is not "1" (it is rebuilt first). The in-flight set expires a while after its
 * latest entry's deadline, so a conversation nobody writes to keeps nothing.
 */
const ALLOCATE = `
if ARGV[2] ~= "1" and redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local seq = redis.call("INCR", KEYS[1])
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call("ZADD", KEYS[2], now + lease, seq)
redis.call("PEXPIRE", KEYS[2], lease * 6 + 60000)
return seq`;

/**
 * The highest seq stored for a conversation in any of its locations (both parties' copies of a single
 * chat, the room's log), tombstones included; 0 when none. The ONE query a lost or behind Redis counter is
 * repaired from: an index-only read per location on (ownerId, conversationId, seq).
 */
export async function highestStoredSeq(store: MessageStore, conversationId: string): Promise<number> {
  let highest = 0;
  for (const { model, ownerId } of copiesOf(store, conversationId)) {
    const top = await model.findOne({ ownerId, conversationId }, { seq: 1 }).sort({ seq: -1 }).lean();
    highest = Math.max(highest, top?.seq ?? 0);
  }
  return highest;
}

/**
 * Raises a conversation's counter to the highest stored seq (never lowers it): after Redis lost the key
 * or its last writes. Returns the counter.
 */
export async function repairSeq(store: MessageStore, conversationId: string): Promise<number> {
  return raiseCounter(store.redis, seqKey(conversationId), await highestStoredSeq(store, conversationId));
}

/**
 * Hands out a conversation's next seq and marks it in flight (one Lua call: INCR + ZADD), atomic across
 * every gateway. The caller must `settleSeq` it once every copy needed for delivery is stored; until then
 * (or until its lease passes and a reader resolves it) sync and history stop below it. A missing counter
 * is first rebuilt from what is stored.
 */
export async function allocateSeq(store: MessageStore, conversationId: string): Promise<number> {
  const keys = [seqKey(conversationId), inFlightKey(conversationId)] as const;
  const seq = Number(await store.redis.eval(ALLOCATE, 2, ...keys, String(store.seqLeaseMs), "0"));
  if (seq !== -1) return seq;
  await repairSeq(store, conversationId);
  return Number(await store.redis.eval(ALLOCATE, 2, ...keys, String(store.seqLeaseMs), "1"));
}

/** The latest seq handed out per conversation (0 when unknown). */
export async function currentSeqs(redis: Redis, conversationIds: string[]): Promise<Map<string, number>> {
  if (conversationIds.length === 0) return new Map();
  const values = await redis.mget(conversationIds.map(seqKey));
  return new Map(conversationIds.map((id, i) => [id, Number(values[i] ?? 0)]));
}

/** Makes sure the counter exists and is at least the stored maximum. */
export async function ensureSeq(store: MessageStore, conversationId: string): Promise<number> {
  return repairSeq(store, conversationId);
}

/** A conversation's sequence state in Redis: the counter and its in-flight seqs with their deadlines. */
export interface SeqState {
  /** The latest seq handed out (0 when the counter is missing). */
  counter: number;
  /** In-flight seqs, lowest first, with their lease deadlines (Redis time, epoch ms). */
  inFlight: Array<{ seq: number; deadline: number }>;
}

/** The sequence state of several conversations and Redis's clock (epoch ms), in one round trip. */
export async function seqStates(redis: Redis, conversationIds: string[]): Promise<{ now: number; states: Map<string, SeqState> }> {
  const pipeline = redis.pipeline().time();
  for (const id of conversationIds) pipeline.get(seqKey(id)).zrange(inFlightKey(id), 0, -1, "WITHSCORES");
  const results = (await pipeline.exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const [seconds, micros] = (results[0]?.[1] as [string, string] | undefined) ?? ["0", "0"];
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const states = new Map<string, SeqState>();
  conversationIds.forEach((id, i) => {
    const counter = Number((results[1 + 2 * i]?.[1] as string | null) ?? 0);
    const flat = (results[2 + 2 * i]?.[1] as string[] | undefined) ?? [];
    const inFlight: SeqState["inFlight"] = [];
    for (let j = 0; j + 1 < flat.length; j += 2) inFlight.push({ seq: Number(flat[j]), deadline: Number(flat[j + 1]) });
    inFlight.sort((a, b) => a.seq - b.seq);
    states.set(id, { counter, inFlight });
  });
  return { now, states };
}

/**
 * Takes seqs out of the in-flight sets once their copies are stored. Calls arriving in the same tick go
 * to Redis together in one pipeline (one round trip however many sends finish at once).
 *
 * A settle never fails the send: its copies are stored, so the receipt is right; a seq left in flight only
 * holds readers back. When Redis does not confirm the removal (unreachable, restarting), the seqs are kept
 * and the removal is retried every `retryMs` for up to `giveUpMs` (after that the lease has passed and a
 * reader resolves the seq anyway, finding every copy stored).
 */
export class SeqSettler {
  private pending = new Map<string, Set<number>>();
  private flush: Promise<void> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private failingSince: number | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly options: { retryMs?: number; giveUpMs?: number; onError?: (error: unknown) => void } = {},
  ) {}

  /** Resolves once the removal went to Redis (confirmed, or queued for a retry after a failure). */
  settle(conversationId: string, seq: number): Promise<void> {
    this.add(conversationId, [seq]);
    this.flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.write());
    return this.flush;
  }

  /** Seqs waiting for a retry (tests, diagnostics). */
  get waiting(): number {
    let count = 0;
    for (const seqs of this.pending.values()) count += seqs.size;
    return count;
  }

  /** Stops retrying (the store is closing). */
  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  private add(conversationId: string, seqs: Iterable<number>): void {
    let set = this.pending.get(conversationId);
    if (!set) {
      set = new Set();
      this.pending.set(conversationId, set);
    }
    for (const seq of seqs) set.add(seq);
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.flush = undefined;
    if (batch.size === 0) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const [conversationId, seqs] of batch) pipeline.zrem(inFlightKey(conversationId), ...[...seqs].map(String));
      const results = (await pipeline.exec()) ?? [];
      if (results.length !== batch.size) throw new Error("in-flight settle: Redis answered no result");
      for (const [error] of results) if (error) throw error;
      this.failingSince = undefined;
    } catch (error) {
      this.options.onError?.(error);
      const now = Date.now();
      this.failingSince ??= now;
      if (now - this.failingSince > (this.options.giveUpMs ?? 30_000)) {
        // Past every lease: readers have resolved (or will resolve) these seqs themselves.
        this.failingSince = undefined;
        return;
      }
      for (const [conversationId, seqs] of batch) this.add(conversationId, seqs);
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.flush ??= this.write();
      }, this.options.retryMs ?? 500);
      this.retry.unref();
    }
  }
}
