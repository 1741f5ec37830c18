import { userIdTextSchema } from "@im/protocol";
import { z } from "zod";
import { atLeastOneField, line, nonEmptyLine, text, uniqueUserIds } from "../../http/common-schemas.js";

const flag = z.union([z.literal(0), z.literal(1)]);
/** Epoch ms "until" (mutes); 0 = off. */
const until = z.number().int().min(0).max(8_640_000_000_000_000);

const userIdList = uniqueUserIds(500);

// ---- inputs ----

export const roomIdParams = z.object({
  roomId: z
    .string()
    .regex(/^[0-9a-fA-F]{24}([0-9a-fA-F]{8})?$/, "must be a 32-character (or older 24-character) hex id")
    .transform((id) => id.toLowerCase())
    .describe("Room id"),
});

export const roomMemberParams = roomIdParams.extend({
  userId: userIdTextSchema.describe("Member's user id"),
});

export const createRoomBody = z.object({
  name: nonEmptyLine(64).describe("Room name"),
  desc: text(500).optional().describe("Room description"),
  userIds: userIdList.optional().describe("Friends of mine to add at once (at most 500)"),
  isNeedVerify: flag.optional().describe("1 = joining needs an owner's or admin's approval"),
  isPublic: flag.optional().describe("1 = anyone may join without an invitation or join link; default 0 (private)"),
  showRead: flag.optional().describe("1 = members see read receipts"),
  maxUserSize: z
    .number()
    .int()
    .min(2)
    .max(100_000)
    .optional()
    .describe("Most members; defaults to and is capped by the platform's limit (API_ROOM_MAX_USER_SIZE)"),
});

export const roomPatch = atLeastOneField(
  z.object({
    name: nonEmptyLine(64).describe("New name (members get a 902)"),
    desc: text(500),
    notice: text(1000).describe("New notice; empty clears it (members get a 905)"),
    isNeedVerify: flag,
    isPublic: flag.describe("1 = anyone may join without an invitation or join link (owner or admin)"),
    showRead: flag,
    talkTime: until.describe("Room-wide mute until this epoch ms, 0 = off; owner and admins may still speak (members get a 906)"),
    maxUserSize: z
      .number()
      .int()
      .min(2)
      .max(100_000)
      .describe("Most members (owner only), capped by the platform's limit; below the current member count → 409 ROOM_FULL"),
    avatarUrl: z
      .string()
      .max(512)
      .describe(
        '"" clears it; else only this room\'s avatar URL from the upload app (POST /v1/avatars/rooms/{roomId} sets it), anything else → AVATAR_URL_NOT_ALLOWED',
      ),
  }),
);

export const memberPut = atLeastOneField(
  z.object({
    role: z.union([z.literal(2), z.literal(3)]).describe("2 = admin, 3 = member (owner only; members get a 913)"),
    talkTime: until.describe("Mute this member until this epoch ms, 0 = off (owner or admin; members get a 906)"),
    nickname: line(32).describe("Nickname in this room (only for yourself)"),
    offlineNoPushMsg: z
      .union([z.literal(0), z.literal(1)])
      .describe("1 = do not disturb: no offline push for this room's messages, except @mentions of me if pushMentions (only for yourself)"),
  }),
  "give role, talkTime, nickname or offlineNoPushMsg",
);

export const inviteBody = z.object({
  userIds: uniqueUserIds(500).min(1, "give at least one user").describe("Friends of mine to add"),
});

/** A join link's token: 32 base64url characters (24 random bytes). */
const joinToken = z.string().regex(/^[A-Za-z0-9_-]{32}$/, "must be a join link token");

export const joinBody = z.object({
  token: joinToken.optional().describe("A join link's token (needed unless the room is public)"),
  reason: text(100).optional().describe("Shown to the owner and admins when the room needs approval"),
});

// ---- outputs ----

export const roomSchema = z.object({
  roomId: z.string(),
  name: z.string(),
  desc: z.string(),
  notice: z.string(),
  ownerId: z.number().int(),
  maxUserSize: z.number().int(),
  userSize: z.number().int().describe("Current member count"),
  isNeedVerify: z.number().int(),
  isPublic: z.number().int().describe("1 = anyone may join; 0 = invitation, join link or approval"),
  showRead: z.number().int(),
  talkTime: z.number().int().describe("Room-wide mute until (epoch ms), 0 = not muted"),
  avatarUrl: z.string().describe('The room\'s avatar in the upload app, "" = none'),
  createTime: z.number().int(),
  modifyTime: z.number().int(),
  /** The caller's membership, when a member. */
  role: z.number().int().optional().describe("My role: 1 owner, 2 admin, 3 member"),
});

export const memberSchema = z.object({
  userId: z.number().int(),
  nickname: z.string().describe("Nickname in the room, else the user's nickname"),
  avatarUrl: z.string(),
  role: z.number().int().describe("1 owner, 2 admin, 3 member"),
  talkTime: z.number().int().describe("Muted until (epoch ms), 0 = not muted"),
  joinTime: z.number().int(),
  offlineNoPushMsg: z.number().int().optional().describe("My own membership only: 1 = do not disturb (no offline push for this room)"),
});

export const joinLinkSchema = z.object({
  token: joinToken.describe("Give it to whom may join: POST /v1/rooms/{roomId}/join {token}"),
  expiresAt: z.number().int().describe("Epoch ms after which the token no longer works"),
});

export const joinResult = z.object({
  status: z.enum(["joined", "pending"]).describe("joined = a member now; pending = waiting for approval"),
});

export const inviteResult = z.object({
  added: z.array(z.number().int()).describe("Users added now (the ones already members are left out)"),
});

export const joinRequestSchema = z.object({
  userId: z.number().int(),
  nickname: z.string(),
  avatarUrl: z.string(),
  reason: z.string(),
  createTime: z.number().int(),
});
