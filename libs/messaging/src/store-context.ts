import type { Redis } from "@im/infra";
import type { Collection } from "mongodb";
import type { Connection } from "mongoose";
import { type UserConversationModel, userConversationModel } from "./conversation-model.js";
import { InsertBatcher, type InsertOutcome } from "./insert-batcher.js";
import { type MessageDoc, type MessageModel, MessageShards } from "./message-model.js";
import { assertShardLayout } from "./shard-layout.js";

/** What the message store needs: Redis (sequences, indexes) and the sharded MongoDB collections. */
export interface MessageStore {
  redis: Redis;
  connection: Connection;
  shards: MessageShards;
  conversations: UserConversationModel;
  /** Writes a message document (batched with concurrent writes to the same shard). */
  insert(model: MessageModel, doc: MessageDoc): Promise<InsertOutcome>;
}

export interface MessageStoreOptions {
  /** Most message documents per insertMany; 1 writes each alone. @default 128 */
  writeBatch?: number;
  /** Told the size and duration of every message insertMany (metrics; the library stays free of prom-client). */
  onWrite?: (batchSize: number, seconds: number) => void;
}

export function createMessageStore(
  connection: Connection,
  redis: Redis,
  shardCount: number,
  options: MessageStoreOptions = {},
): MessageStore {
  const batchers = new Map<string, InsertBatcher<MessageDoc>>();
  return {
    redis,
    connection,
    shards: new MessageShards(connection, shardCount),
    conversations: userConversationModel(connection),
    insert(model, doc) {
      const name = model.collection.collectionName;
      let batcher = batchers.get(name);
      if (!batcher) {
        batcher = new InsertBatcher<MessageDoc>(model.collection as unknown as Collection<MessageDoc>, {
          maxBatch: options.writeBatch ?? 128,
          onWrite: options.onWrite,
        });
        batchers.set(name, batcher);
      }
      return batcher.insert(doc);
    },
  };
}

/** Checks the shard layout, then creates every collection and index the message store uses. */
export async function syncMessageIndexes(store: MessageStore): Promise<void> {
  await assertShardLayout(store.connection, store.shards.count);
  await store.shards.syncIndexes();
  await store.conversations.createCollection().catch((error: { code?: number }) => {
    if (error.code !== 48) throw error;
  });
  await store.conversations.createIndexes();
}
