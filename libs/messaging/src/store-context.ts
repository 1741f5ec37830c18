import type { Redis } from "@im/infra";
import type { Collection } from "mongodb";
import type { Connection } from "mongoose";
import { type UserConversationModel, userConversationModel } from "./conversation-model.js";
import { type MediaLinks, relativeMediaLinks } from "./convert.js";
import { InsertBatcher, type InsertOutcome } from "./insert-batcher.js";
import { type MessageDoc, type MessageModel, MessageShards } from "./message-model.js";
import type { OfflinePushHook } from "./push-hook.js";
import { DEFAULT_SEQ_LEASE_MS, SeqSettler } from "./sequences.js";
import { assertShardLayout } from "./shard-layout.js";

/** What the message store needs: Redis (sequences, indexes) and the sharded MongoDB collections. */
export interface MessageStore {
  redis: Redis;
  connection: Connection;
  shards: MessageShards;
  conversations: UserConversationModel;
  /** Writes a message document (batched with concurrent writes to the same shard). */
  insert(model: MessageModel, doc: MessageDoc): Promise<InsertOutcome>;
  /** How long a handed-out seq may stay in flight before a reader resolves it (ms). */
  seqLeaseMs: number;
  /** Takes a seq out of its conversation's in-flight set once every copy is stored (batched per tick). */
  settleSeq(conversationId: string, seq: number): Promise<void>;
  /** Where clients fetch media messages' uploads (URLs put on delivered, synced and listed messages). */
  mediaLinks: MediaLinks;
  /** Offline push, when the app queues it (PUSH_ENABLED): told of stored messages and notices. */
  push?: OfflinePushHook;
}

export interface MessageStoreOptions {
  /** Most message documents per insertMany; 1 writes each alone. @default 128 */
  writeBatch?: number;
  /** Told the size and duration of every message insertMany (metrics; the library stays free of prom-client). */
  onWrite?: (batchSize: number, seconds: number) => void;
  /**
   * How long a handed-out seq may stay in flight (its copies not all stored) before a reader presumes its
   * writer dead and resolves it (a tombstone, or the copy that did land), in ms. @default 10000
   */
  seqLeaseMs?: number;
  /**
   * The upload app's URLs for media messages (built by the app from MEDIA_PUBLIC_URL with @im/media's
   * mediaUrl / mediaThumbUrl). @default relative paths `/v1/media/<uploadId>` (and `/thumb`)
   */
  mediaLinks?: MediaLinks;
  /** Offline push (libs/push createPushQueue); none: nothing is queued. */
  push?: OfflinePushHook;
}

export function createMessageStore(
  connection: Connection,
  redis: Redis,
  shardCount: number,
  options: MessageStoreOptions = {},
): MessageStore {
  const batchers = new Map<string, InsertBatcher<MessageDoc>>();
  const settler = new SeqSettler(redis);
  return {
    seqLeaseMs: options.seqLeaseMs ?? DEFAULT_SEQ_LEASE_MS,
    mediaLinks: options.mediaLinks ?? relativeMediaLinks,
    ...(options.push ? { push: options.push } : {}),
    settleSeq: (conversationId, seq) => settler.settle(conversationId, seq),
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
