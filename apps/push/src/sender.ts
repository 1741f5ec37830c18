import type { Models, PushLogDoc, PushOutcome } from "@im/data";
import type { Redis } from "@im/infra";
import { InsertBatcher } from "@im/messaging";
import { deviceOwnerKey, ownerStillIs, type PushProvider, recalledKey, type SendControl, type SendOutcome } from "@im/push";
import type { Logger } from "@im/telemetry";
import type { Collection } from "mongodb";
import type { PushMetrics } from "./metrics.js";
import { STOPPING_REASON } from "./providers/http.js";
import type { SendEntry } from "./send-entry.js";

/** The per-(message, device) marker: a hash {s: "done", r: push log JSON, n: attempts, e: entry id, l: lease until ms, a: not before ms}. */
export const sendMarkerKey = (messageId: string, deviceId: string) => `im:push:send:${messageId}:${deviceId}`;
const sessionKey = (tokenHash: string) => `auth:session:${tokenHash}`;

/**
 * Takes the marker for one attempt. KEYS[1] marker; ARGV[1] entry id, ARGV[2] now ms, ARGV[3] lease end ms,
 * ARGV[4] marker TTL ms. Returns {"done", log JSON} when an answer was recorded already (by this entry or a
 * duplicate), {"busy"} while another attempt holds the lease, {"later", not-before ms} before a provider's
 * Retry-After, else {"go", attempt number}.
 */
const TAKE = `
local m = redis.call('HMGET', KEYS[1], 's', 'r', 'l', 'a')
if m[1] == 'done' then return {'done', m[2] or ''} end
local now = tonumber(ARGV[2])
if m[3] and tonumber(m[3]) > now then return {'busy', ''} end
if m[4] and tonumber(m[4]) > now then return {'later', m[4]} end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'e', ARGV[1], 'l', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {'go', tostring(n)}
`;

/**
 * Releases this attempt's lease (a retry): KEYS[1] marker; ARGV[1] the lease end TAKE wrote, ARGV[2] not-before
 * ms, ARGV[3] "1" to give the attempt back. Only while the lease is still this attempt's and no answer was
 * recorded: an attempt that outlived its lease must not release the lease of the attempt that took over.
 */
const RELEASE = `
local m = redis.call('HMGET', KEYS[1], 's', 'l')
if m[1] == 'done' or m[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'l', '0', 'a', ARGV[2])
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'n', -1) end
return 1
`;

/** What the sender needs: stores, the provider clients by device provider, limits. */
export interface SenderDeps {
  redis: Redis;
  models: Models;
  metrics: PushMetrics;
  logger: Logger;
  providers: ReadonlyMap<string, PushProvider>;
  /** Attempts of one (message, device) before it is logged failed (PUSH_MAX_DELIVERIES). */
  maxDeliveries: number;
  /** How long one attempt may hold the marker, ms: the provider call is aborted then, another worker may try after. */
  leaseMs: number;
  /** The `failed` reason a provider gives when the notification expired before it could be delivered (logged `expired`). */
  expiredReason?: string;
  /** How long a done marker is kept, ms: longer than an event or entry can be re-planned or re-claimed. */
  doneTtlMs: number;
}

/**
 * What happened to one entry: `ack` — answered (sent, pruned, failed, expired, skipped, duplicate), the entry
 * is acknowledged; `pending` — left pending for a later claim (retry, lease held elsewhere, Retry-After).
 */
export type SendResult = "ack" | "pending";

interface LogRecord {
  outcome: PushOutcome;
  providerId: string;
  reason: string;
  attempts: number;
  time: number;
}

/**
 * Inserts the push log record once (unique _id "<messageId>:<deviceId>"); a duplicate means a re-delivery already
 * logged this answer (the marker keeps it), so it is left as is. An insert, not a replaceOne upsert: FerretDB v1
 * scans the whole collection for an upsert by _id (1.3 ms per write empty, 10.8 ms at 4,000 records), which made
 * the push path slow down as push_log grew (load/bench/push.ts, docs/benchmarks.md).
 */
/**
 * Push log writers, one per collection: concurrent sends' records go together in one unordered insertMany
 * (a 500-member room's answers are a handful of writes, not 500), without waiting for a batch to fill.
 */
const logWriters = new WeakMap<object, InsertBatcher<PushLogDoc & { _id: string }>>();

function logWriter(models: Models): InsertBatcher<PushLogDoc & { _id: string }> {
  let writer = logWriters.get(models.pushLog);
  if (!writer) {
    const collection = models.pushLog.collection as unknown as Collection<PushLogDoc & { _id: string }>;
    writer = new InsertBatcher(collection, { maxBatch: 256, maxInFlight: 2 });
    logWriters.set(models.pushLog, writer);
  }
  return writer;
}

/**
 * Writes the push log record of one answer: an insert by `_id` = "<messageId>:<deviceId>" (a duplicate = already
 * logged by an earlier attempt). An insert, not an upsert: FerretDB v1 runs a replaceOne upsert as a scan of the
 * whole collection. @throws InsertOutcomeUnknownError when the write's outcome is unknown (the entry stays pending).
 */
async function writeLog(deps: SenderDeps, entry: SendEntry, record: LogRecord): Promise<void> {
  await logWriter(deps.models).insert({
    _id: `${entry.messageId}:${entry.deviceId}`,
    messageId: entry.messageId,
    conversationId: entry.conversationId,
    userId: entry.userId,
    deviceId: entry.deviceId,
    provider: entry.provider,
    kind: entry.notification.kind,
    ...record,
  });
}

/**
 * Records the answer on the marker (so no other attempt sends again), then in the push log. When Redis refuses
 * the marker (an outage) the push log is still written before the error is thrown: a later attempt finds the
 * answer there (sendOne) instead of sending again.
 */
async function finish(deps: SenderDeps, entry: SendEntry, record: LogRecord | null): Promise<SendResult> {
  const key = sendMarkerKey(entry.messageId, entry.deviceId);
  let markerError: unknown;
  try {
    await deps.redis
      .multi()
      .hset(key, "s", "done", "r", record ? JSON.stringify(record) : "", "l", "0")
      .pexpire(key, deps.doneTtlMs)
      .exec();
  } catch (error) {
    markerError = error ?? new Error("marker not written");
  }
  if (record) await writeLog(deps, entry, record);
  if (markerError !== undefined) throw markerError;
  return "ack";
}

/** The answer a push log record holds (an earlier attempt's, whose marker write failed), or null. */
async function loggedAnswer(deps: SenderDeps, entry: SendEntry): Promise<LogRecord | null> {
  const doc = await deps.models.pushLog.findById(`${entry.messageId}:${entry.deviceId}`).lean();
  if (!doc) return null;
  return { outcome: doc.outcome, providerId: doc.providerId, reason: doc.reason, attempts: doc.attempts, time: doc.time };
}

/**
 * Sends one planned notification, at most once per (message, device) across workers and re-deliveries:
 * 1. the marker (TAKE): an answer already recorded → (re)write its push log record and acknowledge; another
 *    attempt's lease, or a Retry-After not reached → leave pending; a second or later attempt first looks for
 *    an answer in the push log (an attempt whose marker write failed wrote it there) and records it;
 * 2. a message recalled since it was planned is not sent (`recalled`); the device's session must still live
 *    (`auth:session:<tokenHash>`), else the device record is removed (`session_ended`); the device record must
 *    still be this session's (`device_moved`: the token moved to another user or session, or was removed); no
 *    provider client for it → `provider_disabled`; all acknowledged without a log;
 * 3. past `expiresAt` → logged `expired`; past maxDeliveries attempts → logged `failed`;
 * 4. the provider call (aborted when the lease ends; not made at all when it ended already — another worker may
 *    have taken over), then by its answer: sent → log `sent`; invalid-token → the
 *    device record is removed (only if it still holds that token) and logged `pruned`; failed → `failed`;
 *    retry → the lease is released (with the provider's Retry-After as not-before) and the entry stays
 *    pending for XAUTOCLAIM, or is logged `failed` at the last attempt; a send cut short between
 *    attempts (the worker is stopping, `control.stop`) releases the lease and gives its attempt back.
 * Throws on a Redis or MongoDB error: the entry stays pending and is claimed again.
 */
export async function sendOne(
  deps: SenderDeps,
  entryId: string,
  entry: SendEntry,
  now = Date.now(),
  control: SendControl = {},
): Promise<SendResult> {
  const { metrics } = deps;
  const key = sendMarkerKey(entry.messageId, entry.deviceId);
  const leaseEnd = String(now + deps.leaseMs);
  const [state, value] = (await deps.redis.eval(TAKE, 1, key, entryId, now, leaseEnd, deps.doneTtlMs)) as [string, string];
  if (state === "done") {
    if (value) await writeLog(deps, entry, JSON.parse(value) as LogRecord);
    return "ack";
  }
  if (state !== "go") return "pending";
  const attempt = Number(value);
  const labels = { provider: entry.provider, kind: entry.notification.kind };
  const base = { providerId: "", reason: "", attempts: attempt };
  if (attempt > 1) {
    // An earlier attempt may have had its answer and lost the marker write (Redis down): the push log has it.
    const logged = await loggedAnswer(deps, entry);
    if (logged) return finish(deps, entry, logged);
  }

  const [session, recalled, owner] = await Promise.all([
    deps.redis.exists(sessionKey(entry.tokenHash)),
    deps.redis.exists(recalledKey(entry.messageId)),
    deps.redis.get(deviceOwnerKey(entry.deviceId)),
  ]);
  if (recalled > 0) {
    metrics.skipped.inc({ reason: "recalled" });
    return finish(deps, entry, null);
  }
  if (session === 0) {
    await deps.models.pushDevices.deleteOne({ _id: entry.deviceId, tokenHash: entry.tokenHash });
    metrics.skipped.inc({ reason: "session_ended" });
    return finish(deps, entry, null);
  }
  // The token may have moved since planning (another user signed in on that phone and registered it) or been
  // removed: the notification then goes nowhere — this user's preview must never reach another's registration.
  // The API marks the owner in Redis before it changes the record (libs/push device-owner.ts): no database read.
  if (!ownerStillIs(owner, entry.tokenHash)) {
    metrics.skipped.inc({ reason: "device_moved" });
    return finish(deps, entry, null);
  }
  const provider = deps.providers.get(entry.provider);
  if (!provider) {
    metrics.skipped.inc({ reason: "provider_disabled" });
    return finish(deps, entry, null);
  }
  if (now >= entry.notification.expiresAt) {
    metrics.notifications.inc({ ...labels, outcome: "expired" });
    return finish(deps, entry, { ...base, outcome: "expired", reason: "expired before sending", time: now });
  }
  if (attempt > deps.maxDeliveries) {
    metrics.notifications.inc({ ...labels, outcome: "failed" });
    return finish(deps, entry, { ...base, outcome: "failed", reason: "too many attempts", time: now });
  }

  // Fencing: a worker stalled since TAKE (a slow FerretDB or Redis, a paused process) past its lease may have been
  // overtaken by another worker that sent already; it leaves the entry to the marker's next reading instead.
  const leaseLeft = now + deps.leaseMs - Date.now();
  if (leaseLeft <= 0) {
    deps.logger.warn({ provider: entry.provider, entryId, overdueMs: -leaseLeft }, "push send lease ran out before sending; left pending");
    return "pending";
  }
  metrics.eventLatency.observe(Math.max(0, Date.now() - entry.serverTime) / 1_000);
  let outcome: SendOutcome;
  try {
    outcome = await provider.send(
      { provider: entry.provider, token: entry.token, appId: entry.appId, environment: entry.environment },
      entry.notification,
      AbortSignal.timeout(leaseLeft),
      control,
    );
  } catch (error) {
    deps.logger.error({ err: error, provider: entry.provider }, "push provider threw");
    outcome = { status: "retry", reason: error instanceof Error ? error.message : "provider error", attempts: 1 };
  }
  const time = Date.now();

  switch (outcome.status) {
    case "sent":
      metrics.notifications.inc({ ...labels, outcome: "sent" });
      return finish(deps, entry, { ...base, outcome: "sent", providerId: outcome.providerId ?? "", time });
    case "invalid-token":
      await deps.models.pushDevices.deleteOne({ _id: entry.deviceId, token: entry.token });
      metrics.notifications.inc({ ...labels, outcome: "pruned" });
      metrics.pruned.inc({ provider: entry.provider, reason: outcome.reason.slice(0, 64) });
      return finish(deps, entry, { ...base, outcome: "pruned", reason: outcome.reason, time });
    case "failed":
      if (deps.expiredReason !== undefined && outcome.reason === deps.expiredReason) {
        metrics.notifications.inc({ ...labels, outcome: "expired" });
        return finish(deps, entry, { ...base, outcome: "expired", reason: outcome.reason, time });
      }
      metrics.notifications.inc({ ...labels, outcome: "failed" });
      return finish(deps, entry, { ...base, outcome: "failed", reason: outcome.reason, time });
    case "retry": {
      if (control.stop?.aborted && outcome.reason === STOPPING_REASON) {
        // The worker is stopping: it stopped waiting between attempts. The lease is released at once (another
        // worker takes the entry after PUSH_CLAIM_IDLE_MS) and the attempt is given back: shutdown never fails it.
        await deps.redis.eval(RELEASE, 1, key, leaseEnd, time + (outcome.retryAfterMs ?? 0), "1");
        return "pending";
      }
      if (attempt >= deps.maxDeliveries) {
        metrics.notifications.inc({ ...labels, outcome: "failed" });
        return finish(deps, entry, { ...base, outcome: "failed", reason: outcome.reason, time });
      }
      metrics.notifications.inc({ ...labels, outcome: "retried" });
      const notBefore = time + (outcome.retryAfterMs ?? 0);
      await deps.redis.eval(RELEASE, 1, key, leaseEnd, notBefore, "0");
      return "pending";
    }
  }
}
