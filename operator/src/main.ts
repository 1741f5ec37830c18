import { ConfigError, describeConfig, redactConfig } from "@im/config";
import { operatorConfigSchema } from "./config.js";

/** Entry point: `node operator/dist/main.js [--check-config | --print-config | --describe-config]`. */
async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (args.has("--describe-config")) {
    console.log(describeConfig(operatorConfigSchema).join("\n"));
    return;
  }
  const { loadOperatorConfig } = await import("./config.js");
  let config: ReturnType<typeof loadOperatorConfig>;
  try {
    config = loadOperatorConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`operator: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  if (args.has("--check-config")) {
    console.log("operator: configuration is valid");
    return;
  }
  if (args.has("--print-config")) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return;
  }
  const { startOperator } = await import("./server.js");
  const operator = await startOperator(config);
  let exiting = false;
  const shutdown = async (signal: string, code: number) => {
    if (exiting) return;
    exiting = true;
    console.error(`operator: ${signal}, shutting down`);
    await operator.close();
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.once("SIGINT", () => void shutdown("SIGINT", 0));
  // A replica that lost the lease exits, and its pod restarts it as a fresh candidate (as client-go does).
  void operator.lost.then(() => shutdown("leadership lost", 1));
}

await main();
