import { ConfigError, describeConfig, redactConfig } from "@im/config";
import { startTracing } from "@im/telemetry";
import { apiConfigSchema, loadApiConfig } from "./config.js";

/**
 * Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]`.
 * Tracing starts before the server module (and so Express, ioredis and the MongoDB driver) is loaded.
 */
async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (args.has("--describe-config")) {
    console.log(describeConfig(apiConfigSchema).join("\n"));
    return;
  }
  let config: ReturnType<typeof loadApiConfig>;
  try {
    config = loadApiConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`api: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  if (args.has("--check-config")) {
    console.log("api: configuration is valid");
    return;
  }
  if (args.has("--print-config")) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return;
  }
  const tracing = startTracing({ serviceName: "im-api", otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  const { startApi } = await import("./server.js");
  let api: Awaited<ReturnType<typeof startApi>>;
  try {
    api = await startApi(config);
  } catch (error) {
    // Matched by name: importing @im/messaging here would load mongoose before tracing starts.
    if (error instanceof Error && error.name === "ShardLayoutError") {
      console.error(`api: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const shutdown = async (signal: string) => {
    api.deps.logger.info({ signal }, "shutting down");
    await api.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

await main();
