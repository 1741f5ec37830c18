import type { Connection, Model } from "mongoose";
import { Schema } from "mongoose";
import { groupCollection, userCollection } from "./shards.js";

/**
 * A stored copy's `_id`: `<ownerId>:<conversationId>:<messageId>`. Deterministic, so finding a copy by
 * its messageId is a primary-key lookup on every MongoDB-protocol server (FerretDB v1 uses no other index
 * to find), and two concurrent stores of one message collide on it.
 */
export const messageDocId = (ownerId: number, conversationId: string, messageId: string): string =>
  `${ownerId}:${conversationId}:${messageId}`;

/** A stored message. In a user shard `ownerId` is the user whose copy it is; in a group shard it is 0. */
export interface MessageDoc {
  /** messageDocId(ownerId, conversationId, messageId). */
  _id: string;
  ownerId: number;
  conversationId: string;
  seq: number;
  messageId: string;
  chatType: number;
  fromUserId: number;
  fromResource: string;
  fromUserName?: string;
  to: string;
  toUserName?: string;
  type: number;
  content: string;
  isEncrypt: boolean;
  isReadDel: boolean;
  fileSize?: number;
  fileTime?: number;
  location?: { x: number; y: number };
  objectId?: string;
  timeSend: number;
  serverTime: number;
  recalled: boolean;
}

const schema = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    ownerId: { type: Number, required: true },
    conversationId: { type: String, required: true },
    seq: { type: Number, required: true },
    messageId: { type: String, required: true },
    chatType: { type: Number, required: true },
    fromUserId: { type: Number, required: true },
    fromResource: { type: String, default: "" },
    fromUserName: String,
    to: { type: String, required: true },
    toUserName: String,
    type: { type: Number, required: true },
    content: { type: String, default: "" },
    isEncrypt: { type: Boolean, default: false },
    isReadDel: { type: Boolean, default: false },
    fileSize: Number,
    fileTime: Number,
    location: { type: new Schema({ x: Number, y: Number }, { _id: false }), default: undefined },
    objectId: String,
    timeSend: { type: Number, required: true },
    serverTime: { type: Number, required: true },
    recalled: { type: Boolean, default: false },
  },
  { versionKey: false, autoIndex: false },
);
// Idempotency: one copy per owner and messageId (group shards use ownerId 0 and the conversation below).
// `_id` says the same and is what lookups use; this index also guards copies written with another _id.
schema.index({ ownerId: 1, conversationId: 1, messageId: 1 }, { unique: true });
// Sync and history: a conversation's messages by seq, per owner.
schema.index({ ownerId: 1, conversationId: 1, seq: 1 });
schema.index({ ownerId: 1, serverTime: 1 });

export type MessageModel = Model<MessageDoc>;

/** The models of every message shard, created once per connection. */
export class MessageShards {
  private readonly users: MessageModel[];
  private readonly groups: MessageModel[];

  constructor(
    connection: Connection,
    readonly count: number,
  ) {
    const make = (name: string) => connection.models[name] ?? connection.model<MessageDoc>(name, schema, name);
    this.users = Array.from({ length: count }, (_, i) => make(userCollection(i)) as MessageModel);
    this.groups = Array.from({ length: count }, (_, i) => make(groupCollection(i)) as MessageModel);
  }

  user(shard: number): MessageModel {
    const model = this.users[shard];
    if (!model) throw new Error(`no user shard ${shard}`);
    return model;
  }

  group(shard: number): MessageModel {
    const model = this.groups[shard];
    if (!model) throw new Error(`no group shard ${shard}`);
    return model;
  }

  all(): MessageModel[] {
    return [...this.users, ...this.groups];
  }

  /** Creates every shard's collection and indexes (idempotent). */
  async syncIndexes(): Promise<void> {
    for (const model of this.all()) {
      await model.createCollection().catch((error: { code?: number }) => {
        if (error.code !== 48) throw error;
      });
      await model.createIndexes();
    }
  }
}
