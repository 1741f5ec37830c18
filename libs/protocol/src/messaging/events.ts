import { z } from "zod";
import type { ErrorBody } from "../errors/app-error.js";
import { type DeliveredMessage, deliveredMessageSchema, type Receipt, type SendMessageInput } from "./envelope.js";

/** The answer to an acknowledged client event: a result, or an error from the catalogue. */
export type AckResult<T> = ({ ok: true } & T) | ({ ok: false } & ErrorBody);

/** Messages per conversation in one sync answer: the default and the most a client may ask for. */
export const DEFAULT_SYNC_LIMIT = 100;
export const MAX_SYNC_LIMIT = 500;

/** Per-conversation sync positions: the highest seq the device has, by conversationId. */
export const syncCursorsSchema = z.record(
  z.string().regex(/^[sg]_[A-Za-z0-9_-]{1,80}$/, "must be a conversation id (s_<a>_<b> or g_<roomId>)"),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
);
export type SyncCursors = z.output<typeof syncCursorsSchema>;

/** The `sync` request: the device's cursors (the `nextCursor`s it stored) and a page size. */
export const syncRequestSchema = z.object({
  cursors: syncCursorsSchema.default({}),
  /** Most messages (tombstones included) per conversation in this answer; the rest comes with hasMore. */
  limit: z.number().int().min(1).max(MAX_SYNC_LIMIT).default(DEFAULT_SYNC_LIMIT),
});
export type SyncRequest = z.input<typeof syncRequestSchema>;

/** One conversation of a sync answer. */
export const syncedConversationSchema = z.object({
  conversationId: z.string(),
  /** Messages after the cursor, in seq order. Seqs may skip (tombstones and permanent gaps are not sent). */
  messages: z.array(deliveredMessageSchema),
  /** More stored messages follow `nextCursor`: sync again at once. */
  hasMore: z.boolean(),
  /** The conversation's latest seq handed out when the sync was answered (some may still be in flight). */
  maxSeq: z.number().int(),
  /**
   * The cursor the device stores for this conversation after this page: the last seq covered, past
   * tombstones and permanent gaps, never past a seq still in flight. Never lower than the cursor sent.
   */
  nextCursor: z.number().int(),
  /** This page stopped below a seq still being written: sync again shortly (about a second). */
  inFlight: z.boolean().optional(),
});
export type SyncedConversation = z.output<typeof syncedConversationSchema>;

/** The `sync` answer (when ok). */
export const syncResponseSchema = z.object({ conversations: z.array(syncedConversationSchema) });
export type SyncResponse = z.output<typeof syncResponseSchema>;

/** Events a client sends; each takes an acknowledgement callback. */
export interface ClientToServerEvents {
  "message:send": (message: SendMessageInput, ack: (result: AckResult<{ receipt: Receipt }>) => void) => void;
  sync: (request: SyncRequest, ack: (result: AckResult<SyncResponse>) => void) => void;
}

/**
 * Why the server ended a socket's session (`session:ended`): `logout`, `revoked` (signed out from another
 * device or by a newer login), `password_changed` (change or reset), `disabled` (account), `expired` (token TTL).
 * The token no longer works: a client must not reconnect with it, but log in again.
 */
export const sessionEndReasons = ["logout", "revoked", "password_changed", "disabled", "expired"] as const;
export type SessionEndReason = (typeof sessionEndReasons)[number];

/** Events the server sends. */
export interface ServerToClientEvents {
  /** A message for this user (or a copy of one this user sent from another device). */
  message: (message: DeliveredMessage) => void;
  /** The connection is authenticated: the user and the server's clock. */
  "session:ready": (info: { userId: number; resource: string; serverTime: number; protocolVersion: number }) => void;
  /** The socket's session ended (see {@link SessionEndReason}); the server disconnects the socket right after. */
  "session:ended": (info: { reason: SessionEndReason }) => void;
  /** A problem with an event that had no acknowledgement callback. */
  "im:error": (error: ErrorBody) => void;
}
