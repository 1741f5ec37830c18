import { envBoolean, envInt } from "./env-types.js";

/**
 * Settings of the offline-push queue shared by every app that stores messages or notices (gateway, API,
 * upload, scheduler) and by the push app that consumes it. The operator sets PUSH_ENABLED=true on every
 * app when the ImCluster has a `push` component (operator/src/render/settings.ts).
 */
export const pushQueueSettings = {
  PUSH_ENABLED: envBoolean(false).describe(
    "Queue offline-push events for stored messages and notices (the push app consumes them); off: nothing is queued",
  ),
  PUSH_QUEUE_MAX_LENGTH: envInt(200_000, 1_000, 50_000_000).describe(
    "Bound of each push stream (XADD MAXLEN ~): the oldest entries are dropped beyond it during a long push outage",
  ),
};
