export { loadPushConfig, type PushConfig, pushConfigSchema } from "./config.js";
export { createPushMetrics, type PushMetrics, type SkipReason } from "./metrics.js";
export { collapseIdOf, devicesForKind, type PlannerDeps, planEvent } from "./planner.js";
export {
  createProviders,
  EXPIRED_REASON,
  type ProviderDeps,
  type ProviderMetrics,
  type PushProviderSettings,
  pushProviderSettings,
} from "./providers/index.js";
export { type StreamState, streamState } from "./queue-gauges.js";
export { type SendEntry, sendEntrySchema } from "./send-entry.js";
export { type SenderDeps, sendMarkerKey, sendOne } from "./sender.js";
export { type RunningPush, type StartPushOptions, startPush } from "./server.js";
export { languageOf, notificationText } from "./texts.js";
export { ensureGroup, PushWorker, type WorkerDeps, type WorkerSettings } from "./worker.js";
export { pushWorkerSettings } from "./worker-settings.js";
