import { loadConfig, platformSettings, pushQueueSettings } from "@im/config";
import { z } from "zod";
import { pushProviderSettings } from "./providers/settings.js";
import { pushWorkerSettings } from "./worker-settings.js";

/**
 * Every setting of the push app, read from environment variables: the platform's (stores, logging,
 * tracing), the queue's (PUSH_ENABLED, PUSH_QUEUE_MAX_LENGTH: the sends stream is bounded alike), the
 * providers' (providers/settings.ts) and the worker's (worker-settings.ts).
 */
export const pushConfigSchema = z.object({
  ...platformSettings,
  ...pushQueueSettings,
  ...pushProviderSettings,
  ...pushWorkerSettings,
});

export type PushConfig = z.output<typeof pushConfigSchema>;

/** Reads and validates the push app's configuration; a bad or unknown PUSH_* setting stops start-up with its name. */
export function loadPushConfig(env: NodeJS.ProcessEnv = process.env): PushConfig {
  return loadConfig(pushConfigSchema, env, { ownPrefixes: ["PUSH_"] });
}
