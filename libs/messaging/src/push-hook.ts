import type { DeliveredMessage } from "@im/protocol";

/** Who sent a message, as far as offline push needs to know (to spare the sending device). */
export interface PushOrigin {
  /** The session that sent it (its own devices are never notified of their own send). */
  sessionId?: string;
}

/**
 * Offline push, as the message layer sees it: told of every message once it is stored and delivered live,
 * it decides whether the message type notifies and queues an event for the push app (libs/push
 * createPushQueue). It never throws and never waits: the message path is not slowed by push.
 * `recipients` are the users the message was delivered to (a room's members, the single chat's peer, the
 * notice's user); the sender is never notified.
 */
export interface OfflinePushHook {
  notify(message: DeliveredMessage, recipients: readonly number[], origin?: PushOrigin): void;
}
