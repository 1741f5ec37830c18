import { isDuplicateKeyError } from "@im/infra";
import type { Connection } from "mongoose";

const META = "im_meta";
const LAYOUT_ID = "messageShards";

/** Raised when the configured shard count differs from the one the stored messages use. */
export class ShardLayoutError extends Error {
  constructor(
    readonly configured: number,
    readonly stored: number,
  ) {
    super(
      `MESSAGE_SHARDS is ${configured} but the stored messages are laid out in ${stored} shards; ` +
        "changing the shard count needs a migration (docs/messaging.md, 'Changing the shard count')",
    );
    this.name = "ShardLayoutError";
  }
}

/**
 * Records the shard count on first start and refuses to start with another one, so a changed setting can
 * never make messages silently unreachable.
 */
export async function assertShardLayout(connection: Connection, count: number): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error("MongoDB connection is not open");
  const meta = db.collection<{ _id: string; count: number }>(META);
  const existing = await meta.findOne({ _id: LAYOUT_ID });
  if (!existing) {
    try {
      await meta.insertOne({ _id: LAYOUT_ID, count });
      return;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  const stored = existing ?? (await meta.findOne({ _id: LAYOUT_ID }));
  if (stored && stored.count !== count) throw new ShardLayoutError(count, stored.count);
}
