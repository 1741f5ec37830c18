import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/**
 * What an upload is for; each kind has its own size limit, allowed types and processing (docs/architecture.md
 * "Media"): image (types 2 and 5), voice (3), video (6), file (9 and room shared files), avatar (users and rooms).
 */
export const uploadKinds = ["image", "voice", "video", "file", "avatar"] as const;
export type UploadKind = (typeof uploadKinds)[number];

/** An upload's state: `pending` while a presigned multipart upload is open, `ready` once its bytes are stored and checked. */
export const UploadStatus = { pending: "pending", ready: "ready" } as const;

/**
 * One user's upload (the record of what exists and who owns it): collection `uploads`. Its bytes live in a
 * content-addressed blob (`blobId`) that other users' uploads of the same bytes share; deleting an upload
 * deletes the blob's objects only when no other upload references it (under the blob's Redis lock).
 * Times are epoch ms; sizes bytes; duration ms.
 */
export const uploadSchema = new Schema(
  {
    /** Random 128-bit id (32 lowercase hex digits): the id clients put in messages and shares. */
    _id: { type: String, required: true },
    ownerId: { type: Number, required: true },
    kind: { type: String, required: true, enum: uploadKinds },
    status: { type: String, required: true, enum: Object.values(UploadStatus), default: UploadStatus.ready },
    /** The content-addressed blob (`sha256:<hex>` for uploads through the app, `s3etag:<etag>:<size>` for multipart). */
    blobId: { type: String, default: "" },
    /** Object key of the stored (processed) bytes. */
    key: { type: String, required: true },
    size: { type: Number, required: true },
    contentType: { type: String, required: true },
    /** The client's file name, for display only (never part of a key). */
    name: { type: String, default: "" },
    width: { type: Number, default: undefined },
    height: { type: Number, default: undefined },
    duration: { type: Number, default: undefined },
    /** Thumbnail (images) or poster frame (videos) object key. */
    thumbKey: { type: String, default: undefined },
    /** Open multipart upload (pending only): the storage's upload id, part size (bytes) and part count. */
    multipart: {
      type: new Schema({ storageUploadId: String, partSize: Number, partCount: Number }, { _id: false }),
      default: undefined,
    },
    createTime: { type: Number, required: true },
    /** When the scheduler deletes it (fileValidTime); null = kept until its owner deletes it. */
    expireTime: { type: Number, default: null },
  },
  { collection: "uploads", versionKey: false },
);
uploadSchema.index({ ownerId: 1, createTime: -1 });
uploadSchema.index({ blobId: 1 });
uploadSchema.index({ expireTime: 1 });
// The orphan sweep asks whether any record names an object.
uploadSchema.index({ key: 1 });
uploadSchema.index({ thumbKey: 1 }, { sparse: true });

export type UploadDoc = InferSchemaType<typeof uploadSchema>;
export type UploadModel = Model<UploadDoc>;
export const uploadModel = (connection: Connection): UploadModel => connection.model<UploadDoc>("Upload", uploadSchema);

/**
 * Stored bytes, once per content (collection `media_blobs`): the objects an identical upload reuses. `_id`
 * is the content id (see uploadSchema.blobId); inserted with a unique _id, so two racing first uploads of
 * the same bytes agree on one.
 */
export const mediaBlobSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    size: { type: Number, required: true },
    contentType: { type: String, required: true },
    width: { type: Number, default: undefined },
    height: { type: Number, default: undefined },
    duration: { type: Number, default: undefined },
    thumbKey: { type: String, default: undefined },
    createTime: { type: Number, required: true },
  },
  { collection: "media_blobs", versionKey: false },
);
mediaBlobSchema.index({ key: 1 });
mediaBlobSchema.index({ thumbKey: 1 }, { sparse: true });
export type MediaBlobDoc = InferSchemaType<typeof mediaBlobSchema>;
export type MediaBlobModel = Model<MediaBlobDoc>;
export const mediaBlobModel = (connection: Connection): MediaBlobModel => connection.model<MediaBlobDoc>("MediaBlob", mediaBlobSchema);

/**
 * A message that shares an upload (collection `media_grants`): recipients may fetch the upload while their
 * copy of the message is visible to them (not recalled, burned or deleted). `_id` is
 * `<conversationId>:<messageId>`, one message carrying at most one upload.
 */
export const mediaGrantSchema = new Schema(
  {
    _id: { type: String, required: true },
    uploadId: { type: String, required: true },
    conversationId: { type: String, required: true },
    messageId: { type: String, required: true },
    fromUserId: { type: Number, required: true },
    createTime: { type: Number, required: true },
  },
  { collection: "media_grants", versionKey: false },
);
mediaGrantSchema.index({ uploadId: 1 });
export type MediaGrantDoc = InferSchemaType<typeof mediaGrantSchema>;
export type MediaGrantModel = Model<MediaGrantDoc>;
export const mediaGrantModel = (connection: Connection): MediaGrantModel => connection.model<MediaGrantDoc>("MediaGrant", mediaGrantSchema);

/** A room's shared file (the seed's shiku_room_share): members list and download it; one upload once per room. */
export const roomShareSchema = new Schema(
  {
    /** Random id (32 hex digits), the seed's shareId. */
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    uploadId: { type: String, required: true },
    /** Who shared it. */
    userId: { type: Number, required: true },
    name: { type: String, required: true },
    size: { type: Number, required: true },
    contentType: { type: String, required: true },
    time: { type: Number, required: true },
  },
  { collection: "shiku_room_share", versionKey: false },
);
roomShareSchema.index({ roomId: 1, time: -1 });
roomShareSchema.index({ roomId: 1, uploadId: 1 }, { unique: true });
export type RoomShareDoc = InferSchemaType<typeof roomShareSchema>;
export type RoomShareModel = Model<RoomShareDoc>;
export const roomShareModel = (connection: Connection): RoomShareModel => connection.model<RoomShareDoc>("RoomShare", roomShareSchema);
