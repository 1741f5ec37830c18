export { badgeKey, COUNTED_TTL_SECONDS, countForBadge, MAX_BADGE, readBadge, recalledKey, setBadge } from "./badge.js";
export { DEVICE_OWNER_TTL_SECONDS, DEVICE_REMOVED, deviceOwnerKey, markDeviceOwner, ownerStillIs } from "./device-owner.js";
export {
  PREVIEW_SOURCE_CHARS,
  PUSH_CONSUMER_GROUP,
  PUSH_ENTRY_FIELD,
  PUSH_EVENTS_STREAM,
  PUSH_SENDS_STREAM,
  type PushEvent,
  pushEventSchema,
} from "./event.js";
export { type AppPushQueueOptions, appPushQueue, pushQueueMetrics } from "./metrics.js";
export { type PushAudience, type PushKind, type PushPolicy, pushPolicyOf } from "./policy.js";
export type { PushNotification, PushProvider, PushTarget, SendControl, SendOutcome } from "./provider.js";
export { createPushQueue, type PushQueueOptions, pushEventOf } from "./queue.js";
