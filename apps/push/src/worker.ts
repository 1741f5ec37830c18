import type { Redis } from "@im/infra";
import { PUSH_CONSUMER_GROUP, PUSH_ENTRY_FIELD, PUSH_EVENTS_STREAM, PUSH_SENDS_STREAM, pushEventSchema } from "@im/push";
import type { Logger } from "@im/telemetry";
import { type PlannerDeps, planEvent } from "./planner.js";
import { sendEntrySchema } from "./send-entry.js";
import { type SenderDeps, sendOne } from "./sender.js";

/** How one worker reads the streams. */
export interface WorkerSettings {
  /** This worker's consumer name in the group (PUSH_CONSUMER). */
  consumer: string;
  /** Entries per XREADGROUP / XAUTOCLAIM call (PUSH_BATCH). */
  batch: number;
  /** Entries being planned or sent at once (PUSH_CONCURRENCY). */
  concurrency: number;
  /** Pending entries idle this long are claimed (PUSH_CLAIM_IDLE_MS), ms. */
  claimIdleMs: number;
  /** Bound of the sends stream (XADD MAXLEN ~, PUSH_QUEUE_MAX_LENGTH). */
  maxLength: number;
  /** Longest XREADGROUP BLOCK, ms (how long stop() may wait for the reader). */
  blockMs?: number;
}

export interface WorkerDeps {
  /** Commands (acks, appends, claims); auto-pipelined. */
  redis: Redis;
  /** A connection of its own for the blocking XREADGROUP. */
  reader: Redis;
  logger: Logger;
  planner: PlannerDeps;
  sender: SenderDeps;
  settings: WorkerSettings;
}

type StreamEntry = [id: string, fields: string[]];

const fieldOf = (fields: string[], name: string): string | undefined => {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
};

/** Creates the consumer group on a stream (and the stream), from its first entry; an existing group is kept. */
export async function ensureGroup(redis: Redis, stream: string): Promise<void> {
  try {
    await redis.xgroup("CREATE", stream, PUSH_CONSUMER_GROUP, "0", "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes("BUSYGROUP")) throw error;
  }
}

/**
 * One push worker (issue 12 §2): reads both streams in the `push` consumer group — `im:push:events` entries
 * are planned into `im:push:sends` entries (planner.ts) and acknowledged once appended; `im:push:sends`
 * entries are sent (sender.ts) and acknowledged after the provider answered. Entries left pending by a dead
 * or stuck worker (or by a send to retry) are taken over with XAUTOCLAIM once idle for claimIdleMs. At most
 * `concurrency` entries are in work at once (sends waiting between provider attempts not counted, up to
 * 4 × concurrency held); stop() stops reading and waits for them.
 */
export class PushWorker {
  private stopping = false;
  /** Aborted by stop(): sends stop waiting between provider attempts (a request on the wire still finishes). */
  private readonly stopSignal = new AbortController();
  /** Sends in flight that are waiting between provider attempts. */
  private waiting = 0;
  private readonly inFlight = new Map<string, Promise<void>>();
  private waiters: Array<() => void> = [];
  private readonly onStop: Array<() => void> = [];
  private loops: Promise<void>[] = [];

  constructor(private readonly deps: WorkerDeps) {}

  /** Creates the groups and starts the read and claim loops. */
  async start(): Promise<void> {
    await ensureGroup(this.deps.redis, PUSH_EVENTS_STREAM);
    await ensureGroup(this.deps.redis, PUSH_SENDS_STREAM);
    this.loops = [this.readLoop(), this.claimLoop()];
  }

  /**
   * Stops reading and claiming, then waits for the entries in work: requests on the wire finish and their answers
   * are acknowledged; sends waiting between provider attempts (Retry-After, backoff) stop and are left pending.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    this.wake();
    for (const resolve of this.onStop.splice(0)) resolve();
    await Promise.all(this.loops);
    await Promise.all(this.inFlight.values());
  }

  /** Entries in work now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * Slots left: sends waiting between provider attempts (a Retry-After, a backoff) are not work, so one
   * provider's 429 storm does not hold the others' notifications; at most 4 × concurrency entries are held at all.
   */
  private free(): number {
    const { concurrency } = this.deps.settings;
    return Math.min(concurrency - (this.inFlight.size - this.waiting), 4 * concurrency - this.inFlight.size);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Waits `ms`, or less when stop() is called. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const index = this.onStop.indexOf(done);
        if (index >= 0) this.onStop.splice(index, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onStop.push(done);
    });
  }

  private async slot(): Promise<void> {
    while (!this.stopping && this.free() <= 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async readLoop(): Promise<void> {
    const { reader, logger, settings } = this.deps;
    while (!this.stopping) {
      await this.slot();
      if (this.stopping) break;
      try {
        const count = Math.max(1, Math.min(settings.batch, this.free()));
        const reply = (await reader.xreadgroup(
          "GROUP",
          PUSH_CONSUMER_GROUP,
          settings.consumer,
          "COUNT",
          count,
          "BLOCK",
          settings.blockMs ?? 1_000,
          "STREAMS",
          PUSH_SENDS_STREAM,
          PUSH_EVENTS_STREAM,
          ">",
          ">",
        )) as Array<[string, StreamEntry[]]> | null;
        for (const [stream, entries] of reply ?? []) this.dispatch(stream, entries);
      } catch (error) {
        if (this.stopping) break;
        logger.error({ err: error }, "push stream read failed");
        await this.regroup(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async claimLoop(): Promise<void> {
    const { redis, logger, settings } = this.deps;
    const every = Math.max(50, Math.min(5_000, Math.floor(settings.claimIdleMs / 2)));
    while (!this.stopping) {
      await this.pause(every);
      for (const stream of [PUSH_SENDS_STREAM, PUSH_EVENTS_STREAM]) {
        let cursor = "0-0";
        try {
          do {
            await this.slot();
            if (this.stopping) return;
            const count = Math.max(1, Math.min(settings.batch, this.free()));
            const reply = (await redis.xautoclaim(
              stream,
              PUSH_CONSUMER_GROUP,
              settings.consumer,
              settings.claimIdleMs,
              cursor,
              "COUNT",
              count,
            )) as [string, StreamEntry[], string[]?];
            cursor = reply[0];
            const entries = reply[1].filter((entry) => entry && !this.inFlight.has(`${stream}|${entry[0]}`));
            this.dispatch(stream, entries);
          } while (cursor !== "0-0");
        } catch (error) {
          logger.error({ err: error, stream }, "push claim failed");
          await this.regroup(error);
        }
      }
    }
  }

  /**
   * After NOGROUP (the streams and their group are gone: Redis restarted without persistence, or the keys were
   * removed), makes both groups again, so the worker reads the entries appended since instead of failing forever.
   */
  private async regroup(error: unknown): Promise<void> {
    if (!(error instanceof Error) || !error.message.includes("NOGROUP")) return;
    try {
      await ensureGroup(this.deps.redis, PUSH_EVENTS_STREAM);
      await ensureGroup(this.deps.redis, PUSH_SENDS_STREAM);
      this.deps.logger.warn("push streams were gone: consumer groups created again");
    } catch (again) {
      this.deps.logger.error({ err: again }, "push consumer groups not created again");
    }
  }

  private dispatch(stream: string, entries: StreamEntry[]): void {
    for (const [id, fields] of entries) {
      const key = `${stream}|${id}`;
      if (this.inFlight.has(key)) continue;
      const work = (stream === PUSH_EVENTS_STREAM ? this.plan(id, fields) : this.send(id, fields))
        .catch((error: unknown) => this.deps.logger.error({ err: error, stream, id }, "push entry failed; left pending"))
        .finally(() => {
          this.inFlight.delete(key);
          this.wake();
        });
      this.inFlight.set(key, work);
    }
  }

  private parse<T>(stream: string, id: string, fields: string[], parse: (value: unknown) => T | undefined): T | undefined {
    const raw = fieldOf(fields, PUSH_ENTRY_FIELD);
    let value: T | undefined;
    try {
      value = raw === undefined ? undefined : parse(JSON.parse(raw));
    } catch {
      value = undefined;
    }
    if (value === undefined) {
      this.deps.logger.warn({ stream, id }, "malformed push entry acknowledged");
      this.deps.planner.metrics.malformed.inc({ stream: stream === PUSH_EVENTS_STREAM ? "events" : "sends" });
    }
    return value;
  }

  private async plan(id: string, fields: string[]): Promise<void> {
    const { redis, settings } = this.deps;
    const event = this.parse(PUSH_EVENTS_STREAM, id, fields, (v) => pushEventSchema.safeParse(v).data);
    if (event) {
      const entries = await planEvent(this.deps.planner, event);
      if (entries.length > 0) {
        const pipeline = redis.pipeline();
        for (const entry of entries) {
          pipeline.xadd(PUSH_SENDS_STREAM, "MAXLEN", "~", settings.maxLength, "*", PUSH_ENTRY_FIELD, JSON.stringify(entry));
        }
        for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
      }
    }
    await redis.xack(PUSH_EVENTS_STREAM, PUSH_CONSUMER_GROUP, id);
  }

  private async send(id: string, fields: string[]): Promise<void> {
    const entry = this.parse(PUSH_SENDS_STREAM, id, fields, (v) => sendEntrySchema.safeParse(v).data);
    const result = entry
      ? await sendOne(this.deps.sender, id, entry, Date.now(), {
          stop: this.stopSignal.signal,
          onWait: (waiting) => {
            this.waiting += waiting ? 1 : -1;
            if (waiting) this.wake();
          },
        })
      : "ack";
    if (result === "ack") await this.deps.redis.xack(PUSH_SENDS_STREAM, PUSH_CONSUMER_GROUP, id);
  }
}
