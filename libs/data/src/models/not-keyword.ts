import { type Connection, type Model, Schema } from "mongoose";

/**
 * A banned word (the seed's notKeyword table, section 三.5). When the client config's `keywordFilter` is 1,
 * text messages containing one (case-insensitive) are refused by the gateway.
 */
export interface NotKeywordDoc {
  word: string;
  createTime: number;
}

export const notKeywordSchema = new Schema<NotKeywordDoc>(
  {
    word: { type: String, required: true, trim: true, maxlength: 64 },
    createTime: { type: Number, required: true },
  },
  { collection: "notKeyword", versionKey: false },
);
notKeywordSchema.index({ word: 1 }, { unique: true });

export type NotKeywordModel = Model<NotKeywordDoc>;
export const notKeywordModel = (connection: Connection): NotKeywordModel =>
  (connection.models.NotKeyword as NotKeywordModel | undefined) ?? connection.model<NotKeywordDoc>("NotKeyword", notKeywordSchema);
