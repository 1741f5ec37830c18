import type { DeliveredMessage, ErrorBody, Receipt, Resource, SessionEndReason, SyncCursors } from "@im/protocol";
import type { ManagerOptions, SocketOptions } from "socket.io-client";

export interface ImClientOptions {
  /** Gateway URL, e.g. https://im.example.com (through the ingress). */
  url: string;
  /** The accessToken from login. */
  token: string;
  resource?: Resource;
  language?: string;
  /** Sync positions saved from an earlier session (see `cursors()`); a new device starts empty. */
  cursors?: SyncCursors;
  /** Resend delays without a receipt, ms. @default { text: 15000, media: 45000 } */
  receiptTimeouts?: { text: number; media: number };
  /** Attempts per message before `send` rejects. @default 5 */
  maxAttempts?: number;
  /** Messages per conversation per sync round. @default 200 */
  syncLimit?: number;
  /**
   * How long a live message that arrived after a gap is held, waiting for the missing ones to arrive live,
   * before the client syncs (jittered 1–1.5×). Concurrent sends to one conversation are stored and pushed
   * in parallel, so small reorderings are normal; syncing at once would make every member of a busy room
   * sync together. 0 syncs at once. @default 1000
   */
  gapWaitMs?: number;
  /**
   * How soon to sync again when a sync answer says a conversation stopped below a seq still being
   * written (`inFlight`), jittered 0.5–1.5×. @default 1000
   */
  inFlightRetryMs?: number;
  /** Passed to socket.io-client (transports, reconnection delays, ...). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

export interface ImClientEvents {
  /** The handshake succeeded (the seed's login result) — also after every reconnect. */
  connected: (info: { userId: number; resource: string; serverTime: number }) => void;
  /** The handshake was refused (bad, revoked or expired token): the client closes and stops reconnecting. */
  loginFailed: (error: ErrorBody) => void;
  /** A message, exactly once per messageId, in seq order within its conversation. */
  message: (message: DeliveredMessage) => void;
  /** A recall (type 202) arrived: the app should blank or remove the message with this id. */
  recalled: (messageId: string, message: DeliveredMessage) => void;
  /** A read receipt (type 26) arrived: `messageId` was read by `message.fromUserId` (burn-after-read: remove it). */
  read: (messageId: string, message: DeliveredMessage) => void;
  /** The server stored a message this client sent. */
  receipt: (receipt: Receipt) => void;
  /** A message was handed to the socket (each attempt). */
  sent: (messageId: string, attempt: number) => void;
  /**
   * The server ended this session (logout, signed out elsewhere, password changed, account disabled, token
   * expired): the token no longer works, the client has closed and will not reconnect — log in again.
   */
  sessionEnded: (reason: SessionEndReason) => void;
  /** The connection dropped; the client reconnects by itself unless `close()` was called. */
  closed: (reason: string) => void;
}

export class ImError extends Error {
  constructor(readonly body: ErrorBody) {
    super(`${body.error.key}: ${body.error.message}`);
    this.name = "ImError";
  }
}
