import { Counter, Histogram, type Registry } from "prom-client";

/** MongoDB commands reported by name; anything else is "other", so the label stays a small fixed set. */
const knownCommands = new Set([
  "find",
  "insert",
  "update",
  "delete",
  "aggregate",
  "count",
  "distinct",
  "getMore",
  "findAndModify",
  "createIndexes",
  "listIndexes",
  "listCollections",
  "create",
  "drop",
]);
export const mongoCommandLabel = (name: string) => (knownCommands.has(name) ? name : "other");

/**
 * `im_mongo_command_seconds{command}` and `im_mongo_command_failures_total{command}` from the MongoDB
 * driver's command monitoring; returns the observer connectMongo calls for every finished command.
 */
export function createMongoCommandMetrics(registry: Registry): (command: string, durationMs: number, ok: boolean) => void {
  const seconds = new Histogram({
    name: "im_mongo_command_seconds",
    help: "MongoDB command duration as the driver measured it, by command",
    labelNames: ["command"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const failures = new Counter({
    name: "im_mongo_command_failures_total",
    help: "MongoDB commands that failed (including duplicate-key errors the code expects), by command",
    labelNames: ["command"],
    registers: [registry],
  });
  return (command, durationMs, ok) => {
    const label = mongoCommandLabel(command);
    seconds.observe({ command: label }, durationMs / 1000);
    if (!ok) failures.inc({ command: label });
  };
}
