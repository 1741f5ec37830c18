import mongoose, { type Connection } from "mongoose";

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
