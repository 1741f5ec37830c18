import type { Redis } from "@im/infra";
import { PUSH_CONSUMER_GROUP, PUSH_EVENTS_STREAM, PUSH_SENDS_STREAM } from "@im/push";
import { Gauge, type Registry } from "@im/telemetry";

/** The state of one push stream as the gauges report it. */
export interface StreamState {
  /** Entries in the stream (XLEN). */
  length: number;
  /** Entries not yet acknowledged: the group's lag (never delivered) plus its pending entries. */
  lag: number;
  /** Age of the oldest entry not acknowledged (pending or never delivered), s; 0 when none. */
  oldestAgeSeconds: number;
}

const msOf = (id: string) => Number(id.split("-")[0]);

/** Reads one stream's length, lag and oldest unacknowledged age (XLEN, XINFO GROUPS, XPENDING, XRANGE). */
export async function streamState(redis: Redis, stream: string, now = Date.now()): Promise<StreamState> {
  const length = await redis.xlen(stream);
  if (length === 0) return { length: 0, lag: 0, oldestAgeSeconds: 0 };
  const groups = (await redis.xinfo("GROUPS", stream).catch(() => [])) as unknown[][];
  const group = groups
    .map((fields) => {
      const record: Record<string, unknown> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) record[String(fields[i])] = fields[i + 1];
      return record;
    })
    .find((record) => record.name === PUSH_CONSUMER_GROUP);
  if (!group) {
    const [first] = (await redis.xrange(stream, "-", "+", "COUNT", 1)) as Array<[string, string[]]>;
    return { length, lag: length, oldestAgeSeconds: first ? Math.max(0, now - msOf(first[0])) / 1_000 : 0 };
  }
  const pending = Number(group.pending ?? 0);
  // lag is nil when Redis cannot tell (entries deleted in the range): count the stream as the upper bound. It is
  // also no more than the stream holds: Redis 7.0 keeps counting entries trimmed (MAXLEN) before the group read
  // them as lag for ever after a long outage; and 0 once nothing follows the group's last delivered entry.
  let lag = group.lag === null || group.lag === undefined ? length : Math.min(Number(group.lag), length);
  const oldest: number[] = [];
  if (pending > 0) {
    const summary = (await redis.xpending(stream, PUSH_CONSUMER_GROUP)) as [number, string | null, string | null, unknown];
    if (summary[1]) oldest.push(msOf(summary[1]));
  }
  if (lag > 0) {
    const [next] = (await redis.xrange(stream, `(${String(group["last-delivered-id"] ?? "0-0")}`, "+", "COUNT", 1)) as Array<
      [string, string[]]
    >;
    if (next) oldest.push(msOf(next[0]));
    else lag = 0;
  }
  const min = oldest.length > 0 ? Math.min(...oldest) : now;
  return { length, lag: lag + pending, oldestAgeSeconds: Math.max(0, now - min) / 1_000 };
}

/**
 * `im_push_queue_length{stream}`, `im_push_queue_lag{stream}` (the HPA's External metric: entries not yet
 * acknowledged) and `im_push_queue_oldest_age_seconds{stream}` (alert ImPushQueueStale), read from Redis at
 * each scrape for both streams (`events`, `sends`). A failed read keeps the last values.
 */
export function registerQueueGauges(registry: Registry, redis: Redis): void {
  const streams = { events: PUSH_EVENTS_STREAM, sends: PUSH_SENDS_STREAM } as const;
  let reading: Promise<Record<string, StreamState>> | undefined;
  let last: Record<string, StreamState> = {};
  const read = () => {
    reading ??= Promise.all(Object.entries(streams).map(async ([name, key]) => [name, await streamState(redis, key)] as const))
      .then((entries) => (last = Object.fromEntries(entries)))
      .catch(() => last)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const gauge = (name: string, help: string, pick: (state: StreamState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["stream"],
      registers: [registry],
      async collect() {
        const states = await read();
        for (const [stream, state] of Object.entries(states)) this.set({ stream }, pick(state));
      },
    });
  gauge("im_push_queue_length", "Entries in each push stream (events, sends)", (s) => s.length);
  gauge("im_push_queue_lag", "Entries of each push stream not yet acknowledged (never delivered plus pending)", (s) => s.lag);
  gauge(
    "im_push_queue_oldest_age_seconds",
    "Age of the oldest entry not yet acknowledged in each push stream, s",
    (s) => s.oldestAgeSeconds,
  );
}
