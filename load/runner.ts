/**
 * Load runner: many SDK clients (one user each) on one machine, sending 1:1 and group messages at fixed
 * rates, measuring receipt and delivery latency and checking that every acknowledged message reaches each
 * recipient exactly once. See load/README.md.
 *
 *   node --conditions=development --import tsx load/runner.ts --embedded --users 50 --rate 40
 */
import { parseOptions, usage } from "./runner/options.js";
import { runLoad } from "./runner/run.js";
import { formatSummary } from "./runner/summary.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(usage);
  process.exit(0);
}

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  console.error(`\n${usage}`);
  process.exit(2);
}

try {
  const result = await runLoad(options);
  console.log(formatSummary(result));
  process.exit(result.ok ? 0 : 1);
} catch (error) {
  console.error("load run failed:", error instanceof Error ? error.message : error);
  process.exit(1);
}
