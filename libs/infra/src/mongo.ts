import mongoose, { type Connection, type mongo } from "mongoose";

type MongoClient = mongo.MongoClient;

export type { Connection } from "mongoose";

/**
 * How the driver finds out the database is gone and back, and how long an operation may wait meanwhile
 * (issue 10, item 1g). Every wait is bounded so that an operation issued during an outage is answered with
 * an error within seconds (a retryable one for the caller: the driver's MongoServerSelectionError or
 * MongoNetworkError) and every app serves again within about `heartbeatFrequencyMS` + `connectTimeoutMS`
 * after the database is back, whether it refused connections, went silent or cut them:
 *
 * - `serverMonitoringMode: "poll"`: FerretDB sends no `topologyVersion`, so the driver always polls it; real
 *   MongoDB would otherwise get the streaming protocol. Polling everywhere keeps production on the
 *   behaviour the tests exercise (tests/infra/mongo-recovery.test.ts).
 * - `heartbeatFrequencyMS: 2_000` (driver default 10 s): a polling monitor checks the server every 2 s, so
 *   a silent server is noticed and a recovered one taken back within about 2 s.
 * - `connectTimeoutMS: 3_000` (driver default 30 s): bounds a new connection's TCP connect and handshake
 *   and each polling `hello` of the monitor. In a silent outage (packets dropped) the monitor's `hello`
 *   times out after 3 s; the driver then clears the pool and interrupts the operations in flight on it
 *   (without this, an insert in flight on a silent connection waited until the network came back: 15 s of
 *   silence meant a 15 s wait).
 * - `serverSelectionTimeoutMS: 3_000` (ours was 5 s, driver default 30 s): an operation while the server
 *   is known to be down fails after 3 s instead of waiting.
 * - `bufferTimeoutMS: 3_000` (mongoose default 10 s): the same bound for a model operation that mongoose
 *   buffers while the connection is marked disconnected.
 *
 * `socketTimeoutMS` stays 0 (no per-socket idle limit): a legitimately long command must not be killed;
 * the monitor's timeout above already interrupts operations on a connection that went silent.
 */
export const MONGO_RESILIENCE_OPTIONS = {
  serverMonitoringMode: "poll",
  heartbeatFrequencyMS: 2_000,
  connectTimeoutMS: 3_000,
  serverSelectionTimeoutMS: 3_000,
  bufferTimeoutMS: 3_000,
} as const;

/**
 * Opens a mongoose connection (not the global one) with the outage bounds of MONGO_RESILIENCE_OPTIONS. Index
 * builds are explicit (see syncIndexes in @im/data), never automatic on first use.
 */
export async function connectMongo(
  url: string,
  options: { onCommand?: (command: string, durationMs: number, ok: boolean) => void } = {},
): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    autoIndex: false,
    autoCreate: false,
    ...MONGO_RESILIENCE_OPTIONS,
    // The driver reports each command's duration (metrics: im_mongo_command_seconds).
    monitorCommands: options.onCommand !== undefined,
  });
  await connection.asPromise();
  watchMongoMonitors(connection.getClient(), MONGO_RESILIENCE_OPTIONS);
  const onCommand = options.onCommand;
  if (onCommand) {
    const client = connection.getClient();
    client.on("commandSucceeded", (event) => onCommand(event.commandName, event.duration, true));
    client.on("commandFailed", (event) => onCommand(event.commandName, event.duration, false));
  }
  return connection;
}

/** True for MongoDB's duplicate-key error (code 11000), which FerretDB reports the same way. */
export function isDuplicateKeyError(error: unknown): error is { code: 11000; message: string; keyPattern?: Record<string, unknown> } {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === 11000;
}

/** Which unique key a duplicate-key error is about, from keyPattern or, failing that, the message. */
export function duplicateKeyField(error: { message: string; keyPattern?: Record<string, unknown> }, fields: string[]): string | undefined {
  if (error.keyPattern) {
    const keys = Object.keys(error.keyPattern);
    const found = fields.find((field) => keys.includes(field));
    if (found) return found;
  }
  return fields.find((field) => error.message.includes(field));
}

/**
 * True when `error` says the database could not be reached or answered in time — not that the request was
 * wrong: the driver's network errors (connection closed or reset, socket timeout, pool cleared), server
 * selection timing out, an error labelled retryable by the driver (`RetryableWriteError`), and mongoose's
 * "buffering timed out". Looks one `cause` deep, for errors wrapped by our own code. Callers answer these
 * with a retryable code (SERVICE_UNAVAILABLE with a retry delay), never as a final error (issue 10, item 1g).
 */
export function isMongoUnavailableError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 2; current = current.cause, depth++) {
    const { mongo } = mongoose;
    if (current instanceof mongo.MongoNetworkError || current instanceof mongo.MongoServerSelectionError) return true;
    if (current instanceof mongo.MongoError && current.hasErrorLabel("RetryableWriteError")) return true;
    if (current instanceof mongoose.Error && /buffering timed out/.test(current.message)) return true;
  }
  return false;
}

/** The driver internals watchMongoMonitors restarts (mongodb 6.x: `topology.s.servers`, `server.monitor`). */
interface StuckMonitorInternals {
  topology?: { s?: { servers?: Map<string, { monitor?: { s?: { state?: string }; close(): void; connect(): void } | null }> } };
}

/**
 * Restarts a server monitor whose check never ends, so the pool the driver paused is resumed (issue 10,
 * item 1g). Cause, in mongodb 6.20 (`lib/sdam/monitor.js`, `lib/cmap/connection.js`): when an operation's
 * connection and the monitor's connection drop at the same moment (a database outage starting), the
 * operation's error clears the pool and asks the monitor for an immediate check; the monitor then writes its
 * polling `hello` to its own socket, which Node has already destroyed but whose `close` event is still queued,
 * so the connection is not yet marked closed. On a destroyed socket `write()` returns false and never emits
 * `drain` or `error`, and `setTimeout()` does nothing, so `Connection.writeCommand` waits forever: the
 * monitor stays "monitoring", the server Unknown and the pool paused for good, and every operation fails
 * server selection (seen for 97 s in tests/chaos/outages.test.ts) while a new client works at once. No
 * option bounds that wait. A legitimate check takes at most a TCP connect plus a handshake (each bounded
 * by `connectTimeoutMS`), so one that has not ended after twice that plus a second is stuck: the monitor is
 * closed (its interval stopped, its connection dropped) and started again, which checks at once.
 * Checks every second; the timer does not keep the process alive and stops when the client closes.
 */
export function watchMongoMonitors(client: MongoClient, options: { connectTimeoutMS: number }): void {
  const stuckAfterMs = 2 * options.connectTimeoutMS + 1_000;
  const checking = new Map<string, number>();
  client.on("serverHeartbeatStarted", (event) => {
    if (!checking.has(event.connectionId)) checking.set(event.connectionId, Date.now());
  });
  const ended = (event: { connectionId: string }) => checking.delete(event.connectionId);
  client.on("serverHeartbeatSucceeded", ended);
  client.on("serverHeartbeatFailed", ended);
  const timer = setInterval(() => {
    const servers = (client as unknown as StuckMonitorInternals).topology?.s?.servers;
    for (const [address, since] of checking) {
      if (Date.now() - since < stuckAfterMs) continue;
      const monitor = servers?.get(address)?.monitor;
      checking.delete(address);
      if (monitor?.s?.state !== "monitoring") continue;
      process.emitWarning(`MongoDB monitor of ${address} stuck in one check for ${Date.now() - since} ms: restarted`, "MongoMonitorStuck");
      monitor.close();
      monitor.connect();
    }
  }, 1_000);
  timer.unref();
  client.once("topologyClosed", () => clearInterval(timer));
}
