import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** A member's role in a room (seed shiku_room_member.role). */
export const RoomRole = { owner: 1, admin: 2, member: 3 } as const;

/** One user's membership of one room (the seed's shiku_room_member): one document, unique (roomId, userId). */
export const roomMemberSchema = new Schema(
  {
    roomId: { type: String, required: true },
    userId: { type: Number, required: true },
    role: { type: Number, required: true, default: RoomRole.member },
    /** The member's nickname in this room; empty = their own nickname. */
    nickname: { type: String, default: "" },
    /** Muted until this epoch ms; 0 = not muted. */
    talkTime: { type: Number, default: 0 },
    /** 1 = do not disturb: no offline push for this room's messages (seed shiku_room_member.offlineNoPushMsg). */
    offlineNoPushMsg: { type: Number, default: 0 },
    joinTime: { type: Number, required: true },
    /** The room's latest message seq when the member joined: older history is not theirs. */
    joinSeq: { type: Number, default: 0 },
    modifyTime: { type: Number, required: true },
  },
  { collection: "shiku_room_member", versionKey: false },
);
roomMemberSchema.index({ roomId: 1, userId: 1 }, { unique: true });
// "My rooms", newest first.
roomMemberSchema.index({ userId: 1, joinTime: -1 });
// Member lists in join order.
roomMemberSchema.index({ roomId: 1, joinTime: 1 });

export type RoomMemberDoc = InferSchemaType<typeof roomMemberSchema>;
export type RoomMemberModel = Model<RoomMemberDoc>;
export const roomMemberModel = (connection: Connection): RoomMemberModel => connection.model<RoomMemberDoc>("RoomMember", roomMemberSchema);

/** A pending request to join a room that needs approval: one per (roomId, userId). */
export const roomJoinRequestSchema = new Schema(
  {
    roomId: { type: String, required: true },
    userId: { type: Number, required: true },
    reason: { type: String, default: "" },
    createTime: { type: Number, required: true },
  },
  { collection: "room_join_requests", versionKey: false },
);
roomJoinRequestSchema.index({ roomId: 1, userId: 1 }, { unique: true });
roomJoinRequestSchema.index({ roomId: 1, createTime: 1 });

export type RoomJoinRequestDoc = InferSchemaType<typeof roomJoinRequestSchema>;
export type RoomJoinRequestModel = Model<RoomJoinRequestDoc>;
export const roomJoinRequestModel = (connection: Connection): RoomJoinRequestModel =>
  connection.model<RoomJoinRequestDoc>("RoomJoinRequest", roomJoinRequestSchema);
