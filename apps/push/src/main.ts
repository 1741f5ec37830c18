import { runService } from "@im/service";
import { loadPushConfig, pushConfigSchema } from "./config.js";

/**
 * Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]` (see runService).
 * The server module (ioredis, the MongoDB driver, the provider clients) is imported after tracing starts.
 */
await runService({
  name: "push",
  configSchema: pushConfigSchema,
  loadConfig: loadPushConfig,
  tracesEndpoint: (config) => config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  start: async (config, { logger }) => (await import("./server.js")).startPush(config, { logger }),
});
