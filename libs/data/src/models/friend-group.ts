import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** A user's named group of friends (the seed's friendGroup). */
export const friendGroupSchema = new Schema(
  {
    userId: { type: Number, required: true },
    groupName: { type: String, required: true },
    userIdList: { type: [Number], default: [] },
    createTime: { type: Number, required: true },
    modifyTime: { type: Number, required: true },
  },
  { collection: "friendGroup", versionKey: false },
);
friendGroupSchema.index({ userId: 1, groupName: 1 }, { unique: true });

export type FriendGroupDoc = InferSchemaType<typeof friendGroupSchema>;
export type FriendGroupModel = Model<FriendGroupDoc>;
export const friendGroupModel = (connection: Connection): FriendGroupModel =>
  connection.model<FriendGroupDoc>("FriendGroup", friendGroupSchema);
