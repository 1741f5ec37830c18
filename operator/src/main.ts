import { runService } from "@im/service";
import { loadOperatorConfig, operatorConfigSchema } from "./config.js";

/** Entry point: `node operator/dist/main.js [--check-config | --print-config | --describe-config]` (see runService). */
await runService({
  name: "operator",
  configSchema: operatorConfigSchema,
  loadConfig: loadOperatorConfig,
  start: async (config, { logger }) => {
    const operator = await (await import("./server.js")).startOperator(config, { logger });
    // A replica that lost the lease exits, and its pod restarts it as a fresh candidate (as client-go does).
    return { close: () => operator.close(), stopped: operator.lost.then(() => ({ reason: "leadership lost", exitCode: 1 })) };
  },
});
