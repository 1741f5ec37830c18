import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** Relationship status of one direction (seed u_friends.status). */
export const FriendStatus = { stranger: 0, following: 1, friends: 2 } as const;

/**
 * One direction of a relationship, userId → toUserId (the seed's u_friends). Friends have a record in
 * each direction with status 2; a follow or a pending friend request is status 1 on the requester's side.
 */
export const friendshipSchema = new Schema(
  {
    userId: { type: Number, required: true },
    toUserId: { type: Number, required: true },
    status: { type: Number, required: true, default: FriendStatus.stranger },
    /** 1 = userId has blacklisted toUserId. */
    blacklist: { type: Number, default: 0 },
    /** 1 = toUserId has blacklisted userId. */
    isBeenBlack: { type: Number, default: 0 },
    remarkName: { type: String, default: "" },
    offlineNoPushMsg: { type: Number, default: 0 },
    /** Days to keep this chat's records; -1 = forever. */
    chatRecordTimeOut: { type: Number, default: -1 },
    createTime: { type: Number, required: true },
    modifyTime: { type: Number, required: true },
    lastTalkTime: { type: Number, default: 0 },
  },
  { collection: "u_friends", versionKey: false },
);
friendshipSchema.index({ userId: 1, toUserId: 1 }, { unique: true });
friendshipSchema.index({ userId: 1, status: 1, modifyTime: -1 });

export type FriendshipDoc = InferSchemaType<typeof friendshipSchema>;
export type FriendshipModel = Model<FriendshipDoc>;
export const friendshipModel = (connection: Connection): FriendshipModel => connection.model<FriendshipDoc>("Friendship", friendshipSchema);

/** toUserId follows userId (the seed's u_fans). */
export const fanSchema = new Schema(
  {
    userId: { type: Number, required: true },
    toUserId: { type: Number, required: true },
    createTime: { type: Number, required: true },
  },
  { collection: "u_fans", versionKey: false },
);
fanSchema.index({ userId: 1, toUserId: 1 }, { unique: true });
fanSchema.index({ userId: 1, createTime: -1 });

export type FanDoc = InferSchemaType<typeof fanSchema>;
export type FanModel = Model<FanDoc>;
export const fanModel = (connection: Connection): FanModel => connection.model<FanDoc>("Fan", fanSchema);
