import { decimalIntText, deliveredMessageSchema } from "@im/protocol";
import { z } from "zod";

/** A conversation id: `s_<userId>_<userId>` (single chat) or `g_<roomId>` (group). */
export const conversationParams = z.object({
  conversationId: z
    .string()
    .regex(/^[sg]_[A-Za-z0-9_-]{1,80}$/, "must be a conversation id (s_<a>_<b> or g_<roomId>)")
    .describe("Conversation id"),
});

export const MAX_HISTORY_LIMIT = 100;

const seq = decimalIntText(0, Number.MAX_SAFE_INTEGER);

export const historyQuery = z
  .object({
    afterSeq: seq.optional().describe("Messages after this seq, oldest first (catching up)"),
    beforeSeq: seq.optional().describe("Messages before this seq (scrolling back); the latest when neither is given"),
    limit: decimalIntText(1, MAX_HISTORY_LIMIT).optional().default(50).describe("Most messages returned, 1–100"),
  })
  .refine((q) => q.afterSeq === undefined || q.beforeSeq === undefined, {
    message: "give afterSeq or beforeSeq, not both",
    path: ["beforeSeq"],
  });

export const messageSchema = deliveredMessageSchema.omit({ traceparent: true }).extend({
  readCount: z.number().int().optional().describe("Group messages: how many members read it (read receipts, type 26)"),
});

export const historySchema = z.object({
  conversationId: z.string(),
  messages: z.array(messageSchema).describe("In seq order, oldest first"),
  hasMore: z.boolean().describe("More messages exist beyond this page in the direction asked"),
});

export const conversationItemSchema = z.object({
  conversationId: z.string(),
  chatType: z.number().int().describe("1 single chat, 2 group"),
  peer: z.string().describe("The other user's id (single chat) or the roomId (group)"),
  maxSeq: z.number().int().describe("The conversation's latest seq I may read (the committed point, at most where I left a room)"),
  clearedSeq: z.number().int().describe("Messages up to this seq were deleted from my view"),
  createTime: z.number().int(),
});
