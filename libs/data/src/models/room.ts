import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** Room status: 0 normal, -1 deleted (the document stays so the id is never reused). */
export const RoomStatus = { normal: 0, deleted: -1 } as const;

/**
 * A group chat (the seed's shiku_room). `userSize` is denormalised: it is recounted from
 * shiku_room_member under the room's Redis lock after every membership change, never incremented.
 */
export const roomSchema = new Schema(
  {
    /**
     * The room's id; messages go `to` it. New rooms get 32 hex digits of crypto randomness (128 bits), so
     * ids cannot be guessed; rooms made before that keep their 24-hex ObjectId strings.
     */
    roomId: { type: String, required: true },
    name: { type: String, required: true },
    desc: { type: String, default: "" },
    /** The current notice (the seed's shiku_room.notice.text); empty = none. */
    notice: { type: String, default: "" },
    noticeTime: { type: Number, default: 0 },
    /** The creator, role 1. */
    ownerId: { type: Number, required: true },
    maxUserSize: { type: Number, default: 1000 },
    userSize: { type: Number, default: 0 },
    /** 1 = joining needs an owner's or admin's approval. */
    isNeedVerify: { type: Number, default: 0 },
    /** 1 = anyone may join without an invitation or a join link; 0 (default) = private. */
    isPublic: { type: Number, default: 0 },
    /** 1 = members see read receipts. */
    showRead: { type: Number, default: 0 },
    /** Room-wide mute until this epoch ms (owner and admins may still speak); 0 = not muted. */
    talkTime: { type: Number, default: 0 },
    /** The room's avatar URL (the upload app's `/v1/avatars/rooms/<roomId>?v=<version>`), "" = none. */
    avatarUrl: { type: String, default: "" },
    createTime: { type: Number, required: true },
    modifier: { type: Number, default: 0 },
    modifyTime: { type: Number, required: true },
    status: { type: Number, default: RoomStatus.normal },
  },
  { collection: "shiku_room", versionKey: false },
);
roomSchema.index({ roomId: 1 }, { unique: true });

export type RoomDoc = InferSchemaType<typeof roomSchema>;
export type RoomModel = Model<RoomDoc>;
export const roomModel = (connection: Connection): RoomModel => connection.model<RoomDoc>("Room", roomSchema);
