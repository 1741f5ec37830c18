import { type Connection, type InferSchemaType, type Model, Schema } from "mongoose";

/** Push services a device can be reached through (one per device registration). */
export const pushProviders = ["apns", "apns-voip", "fcm", "huawei", "xiaomi"] as const;
export type PushProviderName = (typeof pushProviders)[number];

/**
 * One push token of one device session (the seed's per-user push ids, made per session and device). `_id`
 * is sha256("<provider>:<token>") in hex, so one token has one owner: registering it again (another user
 * logging in on the same phone) replaces the record. A session has at most one token per provider (an iPhone
 * registers `apns` and `apns-voip`). `tokenHash` is the session's key (libs/auth): the push app skips and
 * removes devices whose session has ended.
 */
export const pushDeviceSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: Number, required: true },
    sessionId: { type: String, required: true },
    /** sha256 of the session's access token (auth:session:<tokenHash> in Redis), never the token itself. */
    tokenHash: { type: String, required: true },
    deviceId: { type: String, default: "" },
    resource: { type: String, default: "" },
    provider: { type: String, required: true, enum: pushProviders },
    token: { type: String, required: true },
    /** APNs bundle id (topic), Android package name (Xiaomi restricted_package_name), informational for FCM/Huawei. */
    appId: { type: String, required: true },
    /** APNs only: which APNs host the token belongs to. */
    environment: { type: String, enum: ["sandbox", "production"], default: "production" },
    /** BCP 47 language of the device (zh, zh-TW, en, ...): notification texts are chosen by it. */
    locale: { type: String, default: "zh" },
    createTime: { type: Number, required: true },
    modifyTime: { type: Number, required: true },
  },
  { collection: "push_devices", versionKey: false },
);
pushDeviceSchema.index({ userId: 1 });
pushDeviceSchema.index({ sessionId: 1, provider: 1 });

export type PushDeviceDoc = InferSchemaType<typeof pushDeviceSchema>;
export type PushDeviceModel = Model<PushDeviceDoc>;
export const pushDeviceModel = (connection: Connection): PushDeviceModel => connection.model<PushDeviceDoc>("PushDevice", pushDeviceSchema);

/** What became of one notification to one device (push log `outcome`). */
export const pushOutcomes = ["sent", "pruned", "failed", "expired"] as const;
export type PushOutcome = (typeof pushOutcomes)[number];

/**
 * The push log (the seed's MsgNotice records in `Notice`): one record per notification and device, kept for
 * support and the admin console for PUSH_LOG_RETENTION_DAYS. `_id` = "<messageId>:<deviceId>" makes the
 * record idempotent (a retried send writes it once).
 */
export const pushLogSchema = new Schema(
  {
    _id: { type: String, required: true },
    messageId: { type: String, required: true },
    conversationId: { type: String, required: true },
    userId: { type: Number, required: true },
    deviceId: { type: String, required: true },
    provider: { type: String, required: true },
    /** alert, call, call-cancel */
    kind: { type: String, required: true },
    outcome: { type: String, required: true, enum: pushOutcomes },
    /** The provider's id of the notification (apns-id, FCM message name, Huawei requestId, Xiaomi id). */
    providerId: { type: String, default: "" },
    /** The provider's reason for a failure or a prune (e.g. Unregistered, UNREGISTERED, 80300007). */
    reason: { type: String, default: "" },
    attempts: { type: Number, default: 1 },
    time: { type: Number, required: true },
  },
  { collection: "push_log", versionKey: false },
);
pushLogSchema.index({ userId: 1, time: -1 });
pushLogSchema.index({ time: 1 });

export type PushLogDoc = InferSchemaType<typeof pushLogSchema>;
export type PushLogModel = Model<PushLogDoc>;
export const pushLogModel = (connection: Connection): PushLogModel => connection.model<PushLogDoc>("PushLog", pushLogSchema);

/**
 * A conversation the user muted for offline push (any single chat or room): one document per (userId,
 * conversationId), present = muted. Room do-not-disturb is also the member's `offlineNoPushMsg`; a friend's
 * is the friendship's `offlineNoPushMsg`; this covers every conversation, strangers' included.
 */
export const conversationMuteSchema = new Schema(
  {
    userId: { type: Number, required: true },
    conversationId: { type: String, required: true },
    createTime: { type: Number, required: true },
  },
  { collection: "conversation_mutes", versionKey: false },
);
conversationMuteSchema.index({ userId: 1, conversationId: 1 }, { unique: true });
conversationMuteSchema.index({ conversationId: 1 });

export type ConversationMuteDoc = InferSchemaType<typeof conversationMuteSchema>;
export type ConversationMuteModel = Model<ConversationMuteDoc>;
export const conversationMuteModel = (connection: Connection): ConversationMuteModel =>
  connection.model<ConversationMuteDoc>("ConversationMute", conversationMuteSchema);
