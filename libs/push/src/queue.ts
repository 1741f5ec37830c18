import type { Redis } from "@im/infra";
import type { OfflinePushHook, PushOrigin } from "@im/messaging";
import { type DeliveredMessage, messageType } from "@im/protocol";
import { COUNTED_TTL_SECONDS, recalledKey } from "./badge.js";
import { PREVIEW_SOURCE_CHARS, PUSH_ENTRY_FIELD, PUSH_EVENTS_STREAM, type PushEvent } from "./event.js";
import { pushPolicyOf } from "./policy.js";

export interface PushQueueOptions {
  /** Bound of the events stream (XADD MAXLEN ~), PUSH_QUEUE_MAX_LENGTH. */
  maxLength: number;
  /** Told of each queued event (metrics: im_push_events_queued_total). */
  onQueued?: (event: PushEvent) => void;
  /** Told when Redis refused an append (the push of that message is lost; metrics and a log line). */
  onError?: (error: unknown, about: Pick<PushEvent, "messageId" | "conversationId">) => void;
}

/** A notice's JSON content as an object, or null (not JSON, or not an object). */
function noticeContent(content: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(content);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Who of the delivered-to users a notice is news for: a friend notice (500–509) only on the other side's copy
 * (direction 1; the actor's own copy, direction 0, tells them nothing new); a member-added notice (907) only to
 * the users added by someone else (not to the members already there, not to a user who joined by themselves).
 */
function noticeAudience(message: DeliveredMessage, recipients: readonly number[]): readonly number[] {
  if (message.type >= 500 && message.type <= 509) {
    return noticeContent(message.content)?.direction === 1 ? recipients : [];
  }
  if (message.type === 907) {
    const content = noticeContent(message.content);
    const added = Array.isArray(content?.userIds) ? content.userIds.filter((id): id is number => typeof id === "number") : [];
    return recipients.filter((id) => added.includes(id) && id !== content?.operator);
  }
  return recipients;
}

/** The user a friend notice (500–509, sent by the system account) is about: its content's fromUserId. */
function actorOf(message: DeliveredMessage): { actorUserId?: number } {
  if (message.type < 500 || message.type > 509) return {};
  const actor = noticeContent(message.content)?.fromUserId;
  return typeof actor === "number" && Number.isInteger(actor) ? { actorUserId: actor } : {};
}

/** The event for one stored message and its recipients, or null when its type never notifies. */
export function pushEventOf(message: DeliveredMessage, recipients: readonly number[], origin: PushOrigin = {}): PushEvent | null {
  const policy = pushPolicyOf(message.type);
  if (!policy || message.recalled) return null;
  recipients = noticeAudience(message, recipients);
  const text =
    message.type === messageType.text && !message.isEncrypt && !message.isReadDel && message.content
      ? [...message.content].slice(0, PREVIEW_SOURCE_CHARS).join("")
      : undefined;
  return {
    v: 1,
    kind: policy.kind,
    audience: policy.audience,
    messageId: message.messageId,
    conversationId: message.conversationId,
    chatType: message.chatType,
    type: message.type,
    seq: message.seq,
    serverTime: message.serverTime,
    fromUserId: message.fromUserId,
    ...(origin.sessionId ? { fromSessionId: origin.sessionId } : {}),
    to: message.to,
    recipients:
      policy.audience === "sender-devices" ? [message.fromUserId] : [...new Set(recipients)].filter((id) => id !== message.fromUserId),
    ...(text ? { text } : {}),
    ...(message.fromUserName ? { fromUserName: [...message.fromUserName].slice(0, 64).join("") } : {}),
    ...actorOf(message),
    ...(message.atUserIds?.length ? { atUserIds: message.atUserIds } : {}),
    ...(message.atAll ? { atAll: true } : {}),
  };
}

/**
 * The message path's side of offline push (issue 12 §2): for each stored message or notice whose type
 * notifies (policy.ts), one entry in the `im:push:events` stream — appended without waiting for Redis's
 * answer, so neither a push outage nor a slow Redis reply holds a receipt. Nothing else is decided here:
 * presence, do-not-disturb and devices are the push app's (apps/push), which reads the stream in a consumer
 * group. A message whose every recipient is the sender queues nothing. A recall (202) marks its target
 * recalled (`recalledKey`), so the push app drops the target's push if it has not gone out yet.
 */
export function createPushQueue(redis: Redis, options: PushQueueOptions): OfflinePushHook {
  return {
    notify(message, recipients, origin) {
      if (message.type === messageType.recall && message.objectId) {
        const about = { messageId: message.objectId, conversationId: message.conversationId };
        redis.set(recalledKey(message.objectId), "1", "EX", COUNTED_TTL_SECONDS).catch((error: unknown) => options.onError?.(error, about));
        return;
      }
      const event = pushEventOf(message, recipients, origin);
      if (!event || event.recipients.length === 0) return;
      redis
        .xadd(PUSH_EVENTS_STREAM, "MAXLEN", "~", options.maxLength, "*", PUSH_ENTRY_FIELD, JSON.stringify(event))
        .then(() => options.onQueued?.(event))
        .catch((error: unknown) => options.onError?.(error, event));
    },
  };
}
