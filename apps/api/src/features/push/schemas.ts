import { pushProviders } from "@im/data";
import { MAX_BADGE } from "@im/push";
import { z } from "zod";

/** A push device's id: sha256("<provider>:<token>") in hex (libs/data models/push.ts). */
export const deviceIdParams = z.object({
  deviceId: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be a push device id (64 lowercase hex digits)")
    .describe("The device's id (GET /v1/push/devices)"),
});

/**
 * A push token as each provider hands it out: APNs device tokens are 64 hex digits (VoIP ones too); FCM,
 * Huawei and Xiaomi tokens are opaque printable text (FCM's ~160–200 characters). Bounded at 4096. No comma:
 * MiPush reads registration_id as a comma-separated list, so "a,b" would be one record pushing to two phones.
 */
const token = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(4096, "must be at most 4096 characters")
  .regex(/^[\x21-\x2b\x2d-\x7e]+$/, "must be printable ASCII without spaces or commas");

/** An APNs bundle id or an Android package name (reverse DNS). */
const appId = z
  .string()
  .min(1)
  .max(155)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a bundle id or package name (letters, digits, '.', '_', '-')");

/** A BCP 47 language tag (zh, en, zh-TW, zh-Hant-HK, ...). */
const locale = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, "must be a language tag such as zh, en or zh-TW");

export const registerDeviceBody = z
  .object({
    provider: z.enum(pushProviders).describe("apns (alerts on iOS), apns-voip (PushKit: calls on iOS), fcm, huawei, xiaomi"),
    token: token.describe("The token the provider gave this app on this device"),
    appId: appId.describe("APNs: the app's bundle id (topic; VoIP adds .voip); Android: the package name"),
    environment: z
      .enum(["sandbox", "production"])
      .optional()
      .default("production")
      .describe("APNs only: the token's APNs environment (development builds: sandbox)"),
    locale: locale.optional().default("zh").describe("The device's language: notification texts are chosen by it"),
  })
  .superRefine((body, ctx) => {
    if ((body.provider === "apns" || body.provider === "apns-voip") && !/^[0-9a-fA-F]{64,200}$/.test(body.token)) {
      ctx.addIssue({ code: "custom", path: ["token"], message: "an APNs device token is hex (64 digits)" });
    }
  });

export const deviceSchema = z.object({
  id: z.string().describe("sha256(provider:token) in hex: DELETE /v1/push/devices/{deviceId}"),
  provider: z.enum(pushProviders),
  appId: z.string(),
  environment: z.enum(["sandbox", "production"]),
  locale: z.string(),
  sessionId: z.string().describe("The login session the token belongs to (GET /v1/auth/sessions)"),
  resource: z.string().describe("The session's client kind (ios, android, ...)"),
  deviceId: z.string().describe("The session's device id as given at login"),
  current: z.boolean().describe("The token belongs to the session making this request"),
  createTime: z.number().int(),
  modifyTime: z.number().int(),
});

export const deviceList = z.object({ items: z.array(deviceSchema).describe("My push devices, newest first") });

export const badgeSchema = z.object({
  badge: z.number().int().min(0).max(MAX_BADGE).describe("The unread count pushes carry (the app icon's badge)"),
});

export const badgeBody = z.object({
  badge: z
    .number()
    .int()
    .min(0)
    .max(MAX_BADGE)
    .optional()
    .default(0)
    .describe("The new badge: 0 (the default) after the user read everything or opened the app, or the client's own unread count"),
});

export const conversationIdParams = z.object({
  conversationId: z
    .string()
    .regex(/^(s_\d{1,15}_\d{1,15}|g_[A-Za-z0-9_-]{1,80})$/, "must be a conversation id (s_<a>_<b> or g_<roomId>)")
    .describe("Conversation id"),
});

export const muteSchema = z.object({
  conversationId: z.string(),
  createTime: z.number().int().describe("When it was muted, epoch ms"),
});

export const muteList = z.object({ items: z.array(muteSchema).describe("Conversations I muted, newest first") });
