import type { PushProviderName } from "@im/data";
import { Counter, Histogram, type Registry } from "@im/telemetry";

/** What became of one planned notification (`im_push_notifications_total{outcome}`). */
export type NotificationOutcome = "sent" | "pruned" | "failed" | "retried" | "expired";

/** Why a recipient or a device got no push (`im_push_skipped_total{reason}`). */
export type SkipReason =
  | "recalled"
  | "online"
  | "offline_no_push"
  | "blocked"
  | "friend_dnd"
  | "blocked"
  | "not_member"
  | "room_dnd"
  | "conversation_muted"
  | "no_device"
  | "session_ended"
  | "device_moved"
  | "provider_disabled";

export const skipReasons: readonly SkipReason[] = [
  "recalled",
  "online",
  "offline_no_push",
  "blocked",
  "friend_dnd",
  "blocked",
  "not_member",
  "room_dnd",
  "conversation_muted",
  "no_device",
  "session_ended",
  "device_moved",
  "provider_disabled",
];

const providers: readonly PushProviderName[] = ["apns", "apns-voip", "fcm", "huawei", "xiaomi"];
const kinds = ["alert", "call", "call-cancel"];
const outcomes: readonly NotificationOutcome[] = ["sent", "pruned", "failed", "retried", "expired"];

/**
 * The push app's own metrics (names fixed by the issue-12 brief; charts/dashboards/push.json and the alerts
 * ImPushProviderFailing / ImPushQueueStale read them). The queue gauges (im_push_queue_length, _lag,
 * _oldest_age_seconds) are registered by queue-gauges.ts; the provider request histogram is observed by the
 * provider clients per HTTP request (label apns for both APNs device kinds).
 */
export interface PushMetrics {
  /** im_push_notifications_total{provider,kind,outcome} */
  notifications: Counter<"provider" | "kind" | "outcome">;
  /** im_push_provider_request_duration_seconds{provider}: one HTTP request to the provider, seconds */
  providerDuration: Histogram<"provider">;
  /** im_push_tokens_pruned_total{provider,reason} */
  pruned: Counter<"provider" | "reason">;
  /** im_push_skipped_total{reason}: per recipient (presence, silences, no device) or per device (session, provider) */
  skipped: Counter<"reason">;
  /** im_push_event_latency_seconds: message serverTime → provider request start, seconds */
  eventLatency: Histogram<string>;
  /** im_push_malformed_entries_total{stream}: stream entries that could not be read (acknowledged, never retried) */
  malformed: Counter<"stream">;
}

/** Registers the metrics on `registry`, every known label set at 0 so dashboards see series before the first push. */
export function createPushMetrics(registry: Registry): PushMetrics {
  const metrics: PushMetrics = {
    notifications: new Counter({
      name: "im_push_notifications_total",
      help: "Notifications per device by provider, kind (alert, call, call-cancel) and outcome (sent, pruned, failed, retried, expired)",
      labelNames: ["provider", "kind", "outcome"],
      registers: [registry],
    }),
    providerDuration: new Histogram({
      name: "im_push_provider_request_duration_seconds",
      help: "Duration of one request to a push provider, by provider (apns, fcm, huawei, xiaomi)",
      labelNames: ["provider"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    pruned: new Counter({
      name: "im_push_tokens_pruned_total",
      help: "Device tokens removed because the provider called them invalid, by provider and the provider's reason",
      labelNames: ["provider", "reason"],
      registers: [registry],
    }),
    skipped: new Counter({
      name: "im_push_skipped_total",
      help: "Recipients (or devices) not notified, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    eventLatency: new Histogram({
      name: "im_push_event_latency_seconds",
      help: "From the message being stored (serverTime) to its provider request starting",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    malformed: new Counter({
      name: "im_push_malformed_entries_total",
      help: "Push stream entries (events, sends) that could not be read: acknowledged and dropped",
      labelNames: ["stream"],
      registers: [registry],
    }),
  };
  for (const stream of ["events", "sends"]) metrics.malformed.inc({ stream }, 0);
  for (const provider of ["apns", "fcm", "huawei", "xiaomi"]) metrics.providerDuration.zero({ provider });
  for (const provider of providers) {
    for (const kind of kinds) for (const outcome of outcomes) metrics.notifications.inc({ provider, kind, outcome }, 0);
  }
  for (const reason of skipReasons) metrics.skipped.inc({ reason }, 0);
  return metrics;
}
