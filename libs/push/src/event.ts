import { z } from "zod";

/** The Redis stream the message path appends push events to (one entry per stored message that notifies). */
export const PUSH_EVENTS_STREAM = "im:push:events";
/** The Redis stream of per-device sends the push app plans from the events (one entry per device). */
export const PUSH_SENDS_STREAM = "im:push:sends";
/** The consumer group every push worker reads both streams in. */
export const PUSH_CONSUMER_GROUP = "push";
/** The stream entry field that holds the JSON of a {@link PushEvent} (or of a send, in the sends stream). */
export const PUSH_ENTRY_FIELD = "e";

/** Longest preview source kept in an event (characters); providers' payload limits cut further. */
export const PREVIEW_SOURCE_CHARS = 200;

/**
 * One stored message (or notice) that may notify offline devices, as queued by the message path
 * (createPushQueue) and planned per recipient and device by the push app. Parsed with this schema by the
 * push app; a malformed entry is acknowledged and counted, never retried.
 */
export const pushEventSchema = z.object({
  v: z.literal(1),
  kind: z.enum(["alert", "call", "call-cancel"]),
  audience: z.enum(["recipients", "sender-devices"]),
  messageId: z.string().min(1).max(128),
  conversationId: z.string().min(1).max(128),
  chatType: z.number().int(),
  type: z.number().int(),
  seq: z.number().int(),
  /** When the message was stored, epoch ms (the push app measures receipt-to-provider latency from it). */
  serverTime: z.number().int(),
  fromUserId: z.number().int(),
  /** The sending session, whose devices are never notified of their own send. */
  fromSessionId: z.string().max(64).optional(),
  /** The single chat's peer userId or the roomId, as stored. */
  to: z.string().max(64),
  /** Users to consider (the sender is always left out); a room's members at send time. */
  recipients: z.array(z.number().int()).max(100_000),
  /** Source of the preview: the text of a plain text message (not encrypted, not burn-after-reading), cut to PREVIEW_SOURCE_CHARS. */
  text: z.string().max(PREVIEW_SOURCE_CHARS).optional(),
  /** The sender's display name as the message carries it (the client writes it: the push app uses it only when the user has no nickname). */
  fromUserName: z.string().max(64).optional(),
  /** Who acted, for a notice the system account (10005) sends: a friend notice's content.fromUserId (named in the title). */
  actorUserId: z.number().int().optional(),
  /** Users @mentioned in a room message. */
  atUserIds: z.array(z.number().int()).max(1_000).optional(),
  /** The whole room was @mentioned (owner and admins only). */
  atAll: z.boolean().optional(),
});
export type PushEvent = z.infer<typeof pushEventSchema>;
