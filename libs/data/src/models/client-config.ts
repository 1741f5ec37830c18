import { type Connection, type Model, Schema } from "mongoose";

/**
 * The client bootstrap configuration (the seed's `config` table), one document with _id "client".
 * Stored as a validated shape; the API owns the zod schema of its fields.
 */
export interface ClientConfigDoc {
  _id: string;
  values: Record<string, string | number>;
  modifyTime: number;
}

export const clientConfigSchema = new Schema<ClientConfigDoc>(
  {
    _id: { type: String, required: true },
    values: { type: Schema.Types.Mixed, required: true },
    modifyTime: { type: Number, required: true },
  },
  { collection: "config", versionKey: false, minimize: false },
);

export type ClientConfigModel = Model<ClientConfigDoc>;
export const clientConfigModel = (connection: Connection): ClientConfigModel =>
  connection.model<ClientConfigDoc>("ClientConfig", clientConfigSchema);
