import { createHash } from "node:crypto";
import { type DeliveredMessage, type MessageMedia, mediaKinds } from "@im/protocol";
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

/**
 * A seq that holds no message: written when a seq was handed out but its message was never stored (the
 * writer died or failed) or was burnt after reading. `_id` is `<ownerId>:<conversationId>:#<seq>` for the
 * first kind (the burnt kind keeps its message's `_id`). Never delivered; it only lets cursors move past
 * its seq.
 */
/** The fingerprint of a message's content kept on its copies (MessageDoc.contentHash). */
export const contentHashOf = (content: string): string => createHash("sha256").update(content).digest("base64url").slice(0, 22);

export const tombstoneDocId = (ownerId: number, conversationId: string, seq: number): string => `${ownerId}:${conversationId}:#${seq}`;

/**
 * A stored message: the protocol's delivered message (DeliveredMessage) plus where it is stored. In a user
 * shard `ownerId` is the user whose copy it is; in a group shard it is 0.
 */
/**
 * The upload a media message carries, as stored on each copy (the protocol's MessageMedia, recorded at send
 * time) plus whether it has a thumbnail or poster (`thumb`), so URLs can be built when the message is served.
 */
export type StoredMedia = MessageMedia & { thumb?: boolean };

export type MessageDoc = Omit<DeliveredMessage, "traceparent" | "recalled" | "media"> & {
  /** The upload of a media message (types 2, 3, 5, 6, 7, 9); kept after a recall or burn (retention releases its grant). */
  media?: StoredMedia;
  /** messageDocId(ownerId, conversationId, messageId), or tombstoneDocId for a tombstone. */
  _id: string;
  ownerId: number;
  recalled: boolean;
  /** Set on tombstones only (see tombstoneDocId): the seq is taken, there is no message to show. */
  tombstone?: boolean;
  /**
   * sha256 of the content as sent (base64url, 22 characters), kept when a recall, burn or clear erases the
   * content: a resend is still compared with what was sent (MESSAGE_ID_REUSED). Absent on older copies.
   */
  contentHash?: string;
};

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
    atUserIds: { type: [Number], default: undefined },
    atAll: { type: Boolean, default: undefined },
    timeSend: { type: Number, required: true },
    serverTime: { type: Number, required: true },
    recalled: { type: Boolean, default: false },
    tombstone: { type: Boolean, default: undefined },
    contentHash: { type: String, default: undefined },
    media: {
      type: new Schema(
        {
          uploadId: { type: String, required: true },
          kind: { type: String, required: true, enum: mediaKinds },
          contentType: { type: String, required: true },
          size: { type: Number, required: true },
          width: Number,
          height: Number,
          duration: Number,
          name: String,
          thumb: Boolean,
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { versionKey: false, autoIndex: false },
);
// Idempotency: one copy per owner and messageId (group shards use ownerId 0 and the conversation below).
// `_id` says the same and is what lookups use; this index also guards copies written with another _id.
schema.index({ ownerId: 1, conversationId: 1, messageId: 1 }, { unique: true });
// Sync and history: a conversation's messages by seq, per owner. Unique: a seq is stored at most once per
// owner, whatever suffix of its writes Redis (the counter) lost; an insert that hits it repairs the counter.
schema.index({ ownerId: 1, conversationId: 1, seq: 1 }, { unique: true });
schema.index({ ownerId: 1, serverTime: 1 });

export type MessageModel = Model<MessageDoc>;

/** Index option conflicts (85: same key, other options; 86: same name, other key): an index was changed. */
const CHANGED_INDEX = new Set([85, 86]);

/** Creates a model's indexes; an index whose options changed (the seq index became unique) is rebuilt. */
async function createIndexesReplacingChanged(model: MessageModel): Promise<void> {
  try {
    await model.createIndexes();
  } catch (error) {
    if (!CHANGED_INDEX.has((error as { code?: number }).code ?? 0)) throw error;
    await model.collection.dropIndex("ownerId_1_conversationId_1_seq_1");
    await model.createIndexes();
  }
}

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
      await createIndexesReplacingChanged(model);
    }
  }
}
