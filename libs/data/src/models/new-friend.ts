import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/**
 * A "new friends" notice (the seed's NewFriends, types 500–509), one per side: direction 0 = I did it,
 * 1 = it was done to me. `delivered` turns true once the realtime gateway has handed it to a device.
 */
export const newFriendSchema = new Schema(
  {
    userId: { type: Number, required: true },
    toUserId: { type: Number, required: true },
    type: { type: Number, required: true },
    content: { type: String, default: "" },
    direction: { type: Number, required: true },
    delivered: { type: Boolean, default: false },
    createTime: { type: Number, required: true },
    modifyTime: { type: Number, required: true },
  },
  { collection: "NewFriends", versionKey: false },
);
newFriendSchema.index({ userId: 1, createTime: -1 });
newFriendSchema.index({ userId: 1, delivered: 1 });

export type NewFriendDoc = InferSchemaType<typeof newFriendSchema>;
export type NewFriendModel = Model<NewFriendDoc>;
export const newFriendModel = (connection: Connection): NewFriendModel => connection.model<NewFriendDoc>("NewFriend", newFriendSchema);
