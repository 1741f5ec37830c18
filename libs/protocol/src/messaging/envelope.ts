import { z } from "zod";
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

/** Largest message content, in UTF-16 code units: media are sent as URLs, not inline. */
export const MAX_CONTENT_LENGTH = 16_384;

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
  content: z.string().max(MAX_CONTENT_LENGTH).default(""),
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
  toUserName: z.string().max(64).optional(),
  fromUserName: z.string().max(64).optional(),
  timeSend: z.number().int().min(0).optional().describe("Client clock, epoch ms; the server keeps its own time too"),
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
