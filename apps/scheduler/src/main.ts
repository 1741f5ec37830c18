import { ConfigError, describeConfig, redactConfig } from "@im/config";
import { startTracing } from "@im/telemetry";
import { loadSchedulerConfig, schedulerConfigSchema } from "./config.js";

/** Entry point: `node dist/main.js [--check-config | --print-config | --describe-config]`. */
async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (args.has("--describe-config")) {
    console.log(describeConfig(schedulerConfigSchema).join("\n"));
    return;
  }
  let config: ReturnType<typeof loadSchedulerConfig>;
  try {
    config = loadSchedulerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`scheduler: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  if (args.has("--check-config")) {
    console.log("scheduler: configuration is valid");
    return;
  }
  if (args.has("--print-config")) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return;
  }
  const tracing = startTracing({ serviceName: "im-scheduler", otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT });
  const { startScheduler } = await import("./server.js");
  let scheduler: Awaited<ReturnType<typeof startScheduler>>;
  try {
    scheduler = await startScheduler(config);
  } catch (error) {
    // Matched by name: importing @im/messaging here would load mongoose before tracing starts.
    if (error instanceof Error && error.name === "ShardLayoutError") {
      console.error(`scheduler: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const shutdown = async (signal: string) => {
    scheduler.deps.logger.info({ signal }, "shutting down");
    await scheduler.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

await main();
