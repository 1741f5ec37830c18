import { z } from "zod";
import { userIdSchema } from "../ids.js";
import { isWellFormed, utf8ByteLength } from "../validation.js";
import { deliveredMediaSchema, uploadIdSchema } from "./media.js";
import { isMessageType } from "./message-types.js";

/** Version of the realtime protocol; clients send it at the handshake. */
export const PROTOCOL_VERSION = 1;

/** The kinds of conversation (the seed's MessageHead.chatType). */
export const chatTypes = { single: 1, group: 2 } as const;
export type ChatType = (typeof chatTypes)[keyof typeof chatTypes];

/** Client kinds (the seed's XMPP resources). */
export const resources = ["android", "ios", "web", "pc", "mac", "Server"] as const;
export type Resource = (typeof resources)[number];
/** Resources only the platform uses (its notices carry `Server`): a handshake or login claiming one is refused. */
export const serverOnlyResources: readonly Resource[] = ["Server"];
/** Resources a client may connect or log in as: every resource but the server-only ones. */
export const clientResources = ["android", "ios", "web", "pc", "mac"] as const satisfies readonly Resource[];

/**
 * Largest message content, in UTF-8 bytes (media are uploaded to the upload app and referenced by `uploadId`). Chosen so that the largest
 * possible `message:send` packet fits the gateway's 64 KiB packet limit (GATEWAY_MAX_MESSAGE_BYTES) even in
 * the worst case of JSON escaping, where a 1-byte control character becomes the 6 bytes `\u0001`:
 * 6 × 10,240 = 61,440 bytes, plus at most about 1.5 KiB for the other fields and the Socket.IO framing
 * (see MAX_SEND_PACKET_BYTES).
 */
export const MAX_CONTENT_BYTES = 10_240;

/**
 * The largest `message:send` packet a valid message can make, in bytes as Socket.IO sends it (JSON with the
 * worst-case escaping of every string field at its maximum, checked by envelope.test.ts). The gateway's
 * packet limit (GATEWAY_MAX_MESSAGE_BYTES) may not be lower, so valid content always fits, and defaults to
 * twice this, so content well past its limit is still read and answered VALIDATION_FAILED (not a closed socket).
 */
export const MAX_SEND_PACKET_BYTES = 65_536;

/** A user-provided text: well-formed Unicode (no lone surrogate), so history and sync return it exactly. */
export const userText = () => z.string().refine(isWellFormed, "must be well-formed Unicode (no lone surrogate)");

/** Most members one room message may @mention. */
export const MAX_AT_USERS = 100;

const uuid = z.string().regex(/^[0-9a-fA-F-]{8,64}$/, "must be a UUID (8–64 hex digits and dashes)");

/**
 * What a client sends (event `message:send`): the seed's MessageHead and ChatMessage in one flat shape.
 * `messageId` is made by the client (a UUID) and makes the send idempotent.
 */
export const sendMessageSchema = z.object({
  messageId: uuid.describe("Client-made UUID; a resend with the same id is acknowledged again, never stored twice"),
  chatType: z.union([z.literal(chatTypes.single), z.literal(chatTypes.group)]),
  /** userId (single) or roomId (group). */
  to: z.string().regex(/^[0-9a-zA-Z_-]{1,64}$/),
  type: z.number().int().refine(isMessageType, "unknown message type"),
  content: userText()
    .refine((content) => utf8ByteLength(content) <= MAX_CONTENT_BYTES, `must be at most ${MAX_CONTENT_BYTES} bytes of UTF-8`)
    .default("")
    .describe(`At most ${MAX_CONTENT_BYTES} bytes of UTF-8, well-formed Unicode`),
  isEncrypt: z.boolean().default(false),
  isReadDel: z.boolean().default(false).describe("Burn after reading"),
  fileSize: z
    .number()
    .int()
    .min(0)
    .max(10 * 1024 ** 3)
    .optional(),
  fileTime: z.number().int().min(0).max(86_400).optional(),
  location: z.object({ x: z.number().min(-180).max(180), y: z.number().min(-90).max(90) }).optional(),
  /** Another message this one refers to (the seed's objectId: recall target, read receipt target, ...). */
  objectId: uuid.optional(),
  toUserName: userText().max(64).optional(),
  fromUserName: userText().max(64).optional(),
  timeSend: z.number().int().min(0).optional().describe("Client clock, epoch ms; the server keeps its own time too"),
  atUserIds: z
    .array(userIdSchema)
    .max(MAX_AT_USERS)
    .optional()
    .describe(`Room text messages only: members @mentioned (at most ${MAX_AT_USERS}); their do-not-disturb is passed if they allow it`),
  atAll: z.boolean().optional().describe("Room text messages only: @everyone (the room's owner and admins only)"),
  uploadId: uploadIdSchema
    .optional()
    .describe(
      "The upload a media message carries (types 2, 3, 5, 6, 7, 9 need one; other types may not have one): the sender's own, or one they may fetch (forwarding)",
    ),
});
export type SendMessage = z.output<typeof sendMessageSchema>;
export type SendMessageInput = z.input<typeof sendMessageSchema>;

/** A stored message as delivered and synced (event `message`), and served by REST history. */
export const deliveredMessageSchema = z.object({
  conversationId: z.string(),
  seq: z.number().int().describe("Server-assigned, strictly increasing within the conversation (0: relayed only, never stored)"),
  messageId: z.string(),
  chatType: z.union([z.literal(chatTypes.single), z.literal(chatTypes.group)]),
  fromUserId: z.number().int(),
  fromResource: z.string(),
  fromUserName: z.string().optional(),
  /** The recipient userId (single) or roomId (group), as a string. */
  to: z.string(),
  toUserName: z.string().optional(),
  type: z.number().int(),
  content: z.string().describe("Empty once the message is recalled"),
  isEncrypt: z.boolean(),
  isReadDel: z.boolean(),
  fileSize: z.number().optional(),
  fileTime: z.number().optional(),
  location: z.object({ x: z.number(), y: z.number() }).optional(),
  objectId: z.string().optional(),
  timeSend: z.number().describe("The sender's clock, epoch ms"),
  serverTime: z.number().describe("When the server stored it, epoch ms"),
  recalled: z.boolean().optional(),
  /** Members @mentioned (room text messages). */
  atUserIds: z.array(z.number().int()).optional(),
  /** @everyone (room text messages). */
  atAll: z.boolean().optional(),
  /** The upload of a media message (types 2, 3, 5, 6, 7, 9) with the URLs to fetch it; absent once recalled. */
  media: deliveredMediaSchema.optional(),
  /**
   * W3C trace context of the send that produced this delivery, when the platform runs with tracing on;
   * clients may use it to continue the trace. Not stored: messages served by sync carry none.
   */
  traceparent: z.string().optional(),
});
export type DeliveredMessage = z.output<typeof deliveredMessageSchema>;

/** The receipt of section 八: sent to the sender once the message is durably stored. */
export interface Receipt {
  messageId: string;
  conversationId: string;
  seq: number;
  serverTime: number;
  /** True when this messageId had been stored before (a resend). */
  duplicate: boolean;
}

/** The conversation id of a single chat: the same for both sides. */
export function singleConversationId(a: number, b: number): string {
  return a < b ? `s_${a}_${b}` : `s_${b}_${a}`;
}

export function groupConversationId(roomId: string): string {
  return `g_${roomId}`;
}
