import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** One SMS sent (the seed's SmsRecord). The code itself is never stored. */
export const smsRecordSchema = new Schema(
  {
    areaCode: { type: String, required: true },
    telephone: { type: String, required: true },
    purpose: { type: String, required: true },
    provider: { type: String, required: true },
    providerMessageId: { type: String, default: "" },
    ok: { type: Boolean, required: true },
    error: { type: String, default: "" },
    ip: { type: String, default: "" },
    time: { type: Number, required: true },
  },
  { collection: "SmsRecord", versionKey: false },
);
smsRecordSchema.index({ telephone: 1, time: -1 });

export type SmsRecordDoc = InferSchemaType<typeof smsRecordSchema>;
export type SmsRecordModel = Model<SmsRecordDoc>;
export const smsRecordModel = (connection: Connection): SmsRecordModel => connection.model<SmsRecordDoc>("SmsRecord", smsRecordSchema);
