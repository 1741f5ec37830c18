import mongoose, { type Connection } from "mongoose";

export type { Connection } from "mongoose";

/**
 * Opens a mongoose connection (not the global one). Index builds are explicit (see syncIndexes in
 * @im/data), never automatic on first use.
 */
export async function connectMongo(
  url: string,
  options: { onCommand?: (command: string, durationMs: number, ok: boolean) => void } = {},
): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: 5_000,
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
