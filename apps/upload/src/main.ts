import { runService } from "@im/service";
import { loadUploadConfig, uploadConfigSchema } from "./config.js";

/**
 * Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]` (see runService).
 * The server module (Express, ioredis, the MongoDB driver, sharp) is imported after tracing starts.
 */
await runService({
  name: "upload",
  configSchema: uploadConfigSchema,
  loadConfig: loadUploadConfig,
  tracesEndpoint: (config) => config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  start: async (config, { logger }) => (await import("./server.js")).startUpload(config, { logger }),
});
