import { runService } from "@im/service";
import { loadSchedulerConfig, schedulerConfigSchema } from "./config.js";

/** Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]` (see runService). */
await runService({
  name: "scheduler",
  configSchema: schedulerConfigSchema,
  loadConfig: loadSchedulerConfig,
  tracesEndpoint: (config) => config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  start: async (config, { logger }) => (await import("./server.js")).startScheduler(config, { logger }),
});
