import { z } from "zod";
import {
  areaCode,
  atLeastOneField,
  nonEmptyLine,
  nonEmptyText,
  pageQuery,
  phoneNumber,
  retentionDays,
  text,
} from "../../http/common-schemas.js";

const flag = z.union([z.literal(0), z.literal(1)]);

export const settingsSchema = z.object({
  allowAtt: flag.describe("1 = others may follow me"),
  allowGreet: flag.describe("1 = others may greet me"),
  friendsVerify: flag.describe("1 = adding me as a friend needs my approval"),
  multipleDevices: flag.describe("1 = several devices may stay logged in; 0 = a new login signs out the others"),
  offlineNoPush: flag.describe("1 = no offline push notifications"),
  pushPreview: flag.describe("1 = push notifications show the sender and a preview; 0 = a generic text only"),
  pushMentions: flag.describe("1 = an @mention of me in a room pushes even when I muted that room (not when offlineNoPush is 1)"),
  closeTelephoneFind: flag.describe("1 = nobody finds me by phone number"),
  chatRecordTimeOut: retentionDays.describe("Days my chat records are kept; -1 = forever"),
});

export const settingsPatch = atLeastOneField(settingsSchema, "give at least one setting");

const location = z.object({ lng: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });

/** What anyone may see of a user. */
export const publicUserSchema = z.object({
  userId: z.number().int(),
  nickname: z.string(),
  description: z.string(),
  avatarUrl: z.string(),
  sex: z.number().int(),
  userType: z.number().int(),
  level: z.number().int(),
  vip: z.number().int(),
  countryId: z.number().int(),
  provinceId: z.number().int(),
  cityId: z.number().int(),
  areaId: z.number().int(),
  friendsCount: z.number().int(),
  fansCount: z.number().int(),
  attCount: z.number().int(),
  createTime: z.number().int(),
});

/** What a user sees of themself. */
export const selfUserSchema = publicUserSchema.extend({
  areaCode: z.string(),
  phone: z.string(),
  telephone: z.string(),
  birthday: z.number().int(),
  loc: location.optional(),
  status: z.number().int(),
  settings: settingsSchema,
  modifyTime: z.number().int(),
});

/** How the caller relates to another user (their u_friends record), shown beside a profile. */
export const relationshipSchema = z.object({
  status: z.number().int().describe("0 stranger, 1 I follow them (or asked to be friends), 2 friends"),
  blacklist: z.number().int().describe("1 = I blocked them"),
  isBeenBlack: z.number().int().describe("1 = they blocked me"),
  remarkName: z.string(),
  followsMe: z.boolean().describe("They follow me (or asked me to be friends)"),
});

export const otherUserSchema = publicUserSchema.extend({ relationship: relationshipSchema });

export const profilePatch = atLeastOneField(
  z.object({
    nickname: nonEmptyLine(32),
    description: text(200),
    // http(s) only: clients render it, so javascript: or data: URLs must not get in. Beyond the shape, only my
    // avatar URL from the upload app (checkAvatarUrl, AVATAR_URL_NOT_ALLOWED).
    avatarUrl: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .max(512)
      .or(z.literal(""))
      .describe(
        '"" clears it; else only my avatar URL from the upload app (POST /v1/avatars/users/me sets it), anything else → AVATAR_URL_NOT_ALLOWED',
      ),
    sex: z.union([z.literal(0), z.literal(1), z.literal(2)]).describe("0 unknown, 1 male, 2 female"),
    birthday: z.number().int().min(-5_000_000_000_000).max(5_000_000_000_000).describe("Epoch milliseconds"),
    loc: location,
    countryId: z.number().int().min(0).max(1_000_000),
    provinceId: z.number().int().min(0).max(1_000_000),
    cityId: z.number().int().min(0).max(1_000_000),
    areaId: z.number().int().min(0).max(1_000_000),
  }),
);

export const searchQuery = pageQuery
  .extend({
    nickname: nonEmptyText(32).optional().describe("Part of a nickname (case-insensitive)"),
    areaCode: areaCode.optional(),
    phone: phoneNumber.optional().describe("Exact phone number; needs areaCode"),
  })
  .refine((q) => (q.nickname === undefined) !== (q.phone === undefined), "give either nickname or phone")
  .refine((q) => q.phone === undefined || q.areaCode !== undefined, { message: "areaCode is required with phone", path: ["areaCode"] });
