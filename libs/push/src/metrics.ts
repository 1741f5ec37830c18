import type { Redis } from "@im/infra";
import type { OfflinePushHook } from "@im/messaging";
import { Counter, type Logger, type Registry } from "@im/telemetry";
import type { PushEvent } from "./event.js";
import type { PushKind } from "./policy.js";
import { createPushQueue } from "./queue.js";

const kinds: PushKind[] = ["alert", "call", "call-cancel"];

/**
 * The message path's push metrics, on the app's registry (gateway, API, upload, scheduler — the apps that
 * store messages and notices): `im_push_events_queued_total{kind}` (events appended to `im:push:events`) and
 * `im_push_queue_errors_total` (appends Redis refused: those notifications are lost). Every kind starts at 0
 * so dashboards have series before the first event. Returns the queue's callbacks (PushQueueOptions
 * onQueued / onError); `logger` gets one warning per refused append (without the message's content).
 */
export function pushQueueMetrics(
  registry: Registry,
  logger?: Pick<Logger, "warn">,
): {
  onQueued: (event: PushEvent) => void;
  onError: (error: unknown, about: Pick<PushEvent, "messageId" | "conversationId">) => void;
} {
  const queued = new Counter({
    name: "im_push_events_queued_total",
    help: "Offline-push events this app appended to the im:push:events stream, by kind (alert, call, call-cancel)",
    labelNames: ["kind"],
    registers: [registry],
  });
  for (const kind of kinds) queued.inc({ kind }, 0);
  const errors = new Counter({
    name: "im_push_queue_errors_total",
    help: "Offline-push events Redis refused to append (their notifications are lost)",
    registers: [registry],
  });
  return {
    onQueued: (event) => queued.inc({ kind: event.kind }),
    onError: (error, event) => {
      errors.inc();
      logger?.warn({ err: error, messageId: event.messageId, conversationId: event.conversationId }, "push event not queued");
    },
  };
}

/** What an app needs to queue offline push: its PUSH_* settings, Redis, metrics registry and logger. */
export interface AppPushQueueOptions {
  config: { PUSH_ENABLED: boolean; PUSH_QUEUE_MAX_LENGTH: number };
  redis: Redis;
  registry: Registry;
  logger?: Pick<Logger, "warn">;
}

/**
 * The offline-push hook of an app that stores messages (createMessageStore's `push` option): a queue with
 * its metrics when PUSH_ENABLED, undefined otherwise (nothing queued, no metrics registered).
 */
export function appPushQueue(options: AppPushQueueOptions): OfflinePushHook | undefined {
  if (!options.config.PUSH_ENABLED) return undefined;
  return createPushQueue(options.redis, {
    maxLength: options.config.PUSH_QUEUE_MAX_LENGTH,
    ...pushQueueMetrics(options.registry, options.logger),
  });
}
