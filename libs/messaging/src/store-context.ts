import type { Redis } from "@im/infra";
import type { Connection } from "mongoose";
import { type UserConversationModel, userConversationModel } from "./conversation-model.js";
import { MessageShards } from "./message-model.js";
import { assertShardLayout } from "./shard-layout.js";

/** What the message store needs: Redis (sequences, indexes) and the sharded MongoDB collections. */
export interface MessageStore {
  redis: Redis;
  connection: Connection;
  shards: MessageShards;
  conversations: UserConversationModel;
}

export function createMessageStore(connection: Connection, redis: Redis, shardCount: number): MessageStore {
  return { redis, connection, shards: new MessageShards(connection, shardCount), conversations: userConversationModel(connection) };
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
