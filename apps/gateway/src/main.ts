import { runService } from "@im/service";
import { gatewayConfigSchema, loadGatewayConfig } from "./config.js";

/** Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]` (see runService). */
await runService({
  name: "gateway",
  configSchema: gatewayConfigSchema,
  loadConfig: loadGatewayConfig,
  tracesEndpoint: (config) => config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  start: async (config, { logger }) => (await import("./server.js")).startGateway(config, { logger }),
});
