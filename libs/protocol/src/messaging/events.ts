import type { ErrorBody } from "../errors/app-error.js";
import type { DeliveredMessage, Receipt, SendMessageInput } from "./envelope.js";

/** The answer to an acknowledged client event: a result, or an error from the catalogue. */
export type AckResult<T> = ({ ok: true } & T) | ({ ok: false } & ErrorBody);

/** Per-conversation sync positions: the highest seq the device has, by conversationId. */
export type SyncCursors = Record<string, number>;

export interface SyncRequest {
  cursors: SyncCursors;
  /** Most messages per conversation in this answer (the rest comes with hasMore). */
  limit?: number;
}

export interface SyncedConversation {
  conversationId: string;
  messages: DeliveredMessage[];
  /** More messages after the last one returned. */
  hasMore: boolean;
  /** The conversation's latest seq when the sync was answered. */
  maxSeq: number;
}

/** Events a client sends; each takes an acknowledgement callback. */
export interface ClientToServerEvents {
  "message:send": (message: SendMessageInput, ack: (result: AckResult<{ receipt: Receipt }>) => void) => void;
  sync: (request: SyncRequest, ack: (result: AckResult<{ conversations: SyncedConversation[] }>) => void) => void;
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
