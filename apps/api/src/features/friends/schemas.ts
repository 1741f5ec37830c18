import { z } from "zod";
import { atLeastOneField, line, nonEmptyLine, nonEmptyText, retentionDays, text, uniqueUserIds } from "../../http/common-schemas.js";
import { publicUserSchema } from "../users/schemas.js";

const flag = z.union([z.literal(0), z.literal(1)]);

// ---- inputs ----

export const addFriendBody = z.object({
  greeting: text(100).optional().describe("Greeting shown with the request (needs the target's allowGreet)"),
});

export const replyBody = z.object({
  content: nonEmptyText(100).describe("Reply text sent with a pending friend request"),
});

export const friendPatch = atLeastOneField(
  z.object({
    remarkName: line(32).describe("My name for this friend; empty clears it"),
    offlineNoPushMsg: flag.describe("1 = no offline push for this friend's messages"),
    chatRecordTimeOut: retentionDays.describe("Days this chat's records are kept; -1 = forever"),
  }),
);

export const groupIdParams = z.object({
  groupId: z
    .string()
    .regex(/^[0-9a-fA-F]{24}$/, "must be a 24-character hex id")
    .transform((id) => id.toLowerCase())
    .describe("Friend group id"),
});

const groupMembers = uniqueUserIds(500).describe("Friends in the group (at most 500)");

export const groupCreateBody = z.object({
  groupName: nonEmptyLine(20).describe("Group name, unique among my groups"),
  userIds: groupMembers.optional(),
});

export const groupPatchBody = atLeastOneField(groupCreateBody, "give groupName or userIds");

// ---- outputs ----

export const addFriendResult = z.object({
  result: z.enum(["friends", "requested"]).describe("friends = we are now friends; requested = waiting for their approval"),
});

export const acceptResult = z.object({ result: z.literal("friends") });

export const friendItemSchema = z.object({
  user: publicUserSchema,
  remarkName: z.string(),
  offlineNoPushMsg: z.number().int(),
  chatRecordTimeOut: z.number().int(),
  createTime: z.number().int().describe("When this relationship reached its current status"),
});

export const userItemSchema = z.object({
  user: publicUserSchema,
  createTime: z.number().int().describe("When this relationship began"),
});

export const newFriendItemSchema = z.object({
  toUserId: z.number().int().describe("The other user"),
  nickname: z.string(),
  avatarUrl: z.string(),
  type: z.number().int().describe("Notice type 500–509"),
  content: z.string(),
  direction: z.number().int().describe("0 = I did it, 1 = it was done to me"),
  createTime: z.number().int(),
});

export const friendGroupSchema = z.object({
  groupId: z.string(),
  groupName: z.string(),
  userIds: z.array(z.number().int()),
  createTime: z.number().int(),
  modifyTime: z.number().int(),
});
