import { runService } from "@im/service";
import { apiConfigSchema, loadApiConfig } from "./config.js";

/**
 * Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]` (see runService).
 * The server module (and so Express, ioredis and the MongoDB driver) is imported after tracing starts.
 */
await runService({
  name: "api",
  configSchema: apiConfigSchema,
  loadConfig: loadApiConfig,
  tracesEndpoint: (config) => config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  start: async (config, { logger }) => (await import("./server.js")).startApi(config, { logger }),
});
