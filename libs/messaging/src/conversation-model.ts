import { type Connection, type Model, Schema } from "mongoose";

/**
 * A user's membership in a conversation: written once (unique insert) when the first message reaches the
 * user, so sync knows every conversation to look at. `clearedSeq` hides older messages ("delete my copy").
 */
export interface UserConversationDoc {
  userId: number;
  conversationId: string;
  chatType: number;
  /** The other user (single) or the roomId (group). */
  peer: string;
  clearedSeq: number;
  /** 0 while the user belongs to the conversation; else the last seq they may see (left or removed from a room). */
  endSeq: number;
  createTime: number;
}

const schema = new Schema<UserConversationDoc>(
  {
    userId: { type: Number, required: true },
    conversationId: { type: String, required: true },
    chatType: { type: Number, required: true },
    peer: { type: String, required: true },
    clearedSeq: { type: Number, default: 0 },
    endSeq: { type: Number, default: 0 },
    createTime: { type: Number, required: true },
  },
  { collection: "user_conversations", versionKey: false, autoIndex: false },
);
schema.index({ userId: 1, conversationId: 1 }, { unique: true });

export type UserConversationModel = Model<UserConversationDoc>;
export const userConversationModel = (connection: Connection): UserConversationModel =>
  (connection.models.UserConversation as UserConversationModel | undefined) ??
  connection.model<UserConversationDoc>("UserConversation", schema);
