import type { PushProviderName } from "@im/data";
import type { PushKind } from "./policy.js";

/** Where one notification goes: one registered device (push_devices). */
export interface PushTarget {
  provider: PushProviderName;
  /** The provider's device token / registration id. */
  token: string;
  /** APNs bundle id (topic; `<appId>.voip` for VoIP), Android package name (Xiaomi restricted_package_name). */
  appId: string;
  /** APNs host: sandbox or production. */
  environment: "sandbox" | "production";
}

/**
 * One notification, ready for any provider (the push app localises title and body for the device's locale
 * before this point). Providers map it to their payloads and enforce their own size limits.
 */
export interface PushNotification {
  kind: PushKind;
  /** Sender or room name; empty for call-cancel. */
  title: string;
  /** The preview ("[Image]", the text cut, or the generic text when previews are hidden). */
  body: string;
  /** Unread count for the app icon (alerts only). */
  badge?: number;
  /** Groups a burst in one conversation: APNs apns-collapse-id (≤ 64 bytes), FCM collapse_key, ... */
  collapseId: string;
  /**
   * Custom data the app reads to open the conversation: always `conversationId`, `messageId`, `chatType`,
   * `type`, `fromUserId`, `seq`, `kind` (strings, as FCM requires).
   */
  data: Record<string, string>;
  /** When the notification stops being worth delivering, epoch ms (apns-expiration, FCM/Huawei ttl, Xiaomi time_to_live). */
  expiresAt: number;
  /** high for chats and calls (APNs 10, FCM HIGH, Huawei urgency HIGH); normal otherwise (APNs 5). */
  priority: "high" | "normal";
}

/**
 * What a provider said about one send, after its own retries:
 * - `sent`: accepted (providerId: apns-id, FCM message name, Huawei requestId, Xiaomi data.id);
 * - `invalid-token`: the token is dead (APNs 410 Unregistered, BadDeviceToken, DeviceTokenNotForTopic; FCM
 *   UNREGISTERED or a token INVALID_ARGUMENT; Huawei illegal_tokens / 80300007; Xiaomi invalid regid): prune;
 * - `retry`: worth trying later (429, 5xx, network; retryAfterMs from Retry-After when given);
 * - `failed`: will not work for this notification (payload too large, credentials refused, ...).
 */
export type SendOutcome =
  | { status: "sent"; providerId?: string; attempts: number }
  | { status: "invalid-token"; reason: string; attempts: number }
  | { status: "retry"; reason: string; retryAfterMs?: number; attempts: number }
  | { status: "failed"; reason: string; attempts: number };

/** How the caller steers one send's waits between attempts (a provider's Retry-After, a backoff). */
export interface SendControl {
  /**
   * Aborted when the caller stops (a stopping worker): a wait ends at once and the send with `retry`
   * "stopping"; a request on the wire is not aborted by it.
   */
  stop?: AbortSignal;
  /** Told when the send starts (true) and ends (false) a wait: a worker does not count a waiting send as work. */
  onWait?: (waiting: boolean) => void;
}

/** A push provider client (apps/push/src/providers): one per provider, shared by every send. */
export interface PushProvider {
  /** The device providers it serves (the APNs client serves `apns` and `apns-voip`). */
  readonly serves: readonly PushProviderName[];
  /**
   * Sends one notification; never throws for a provider's answer (only for a programming error). `signal`
   * aborts everything (requests too); `control` steers the waits between attempts.
   */
  send(target: PushTarget, notification: PushNotification, signal?: AbortSignal, control?: SendControl): Promise<SendOutcome>;
  /** Closes connections (HTTP/2 sessions, agents). */
  close(): Promise<void>;
}
