import { hostname } from "node:os";
import { envInt } from "@im/config";
import { z } from "zod";

/** The push worker's own settings (BRIEF: worker settings); the provider settings live in providers/settings.ts. */
export const pushWorkerSettings = {
  PUSH_HOST: z.string().default("0.0.0.0").describe("Address the probe/metrics server binds"),
  PUSH_PORT: envInt(9472, 0, 65535).describe("Port of /healthz, /readyz and /metrics; 0 picks a free port"),
  PUSH_CONSUMER: z
    .string()
    .min(1)
    .max(200)
    .default(hostname())
    .describe("This worker's consumer name in the push group (unique per worker: the pod name)"),
  PUSH_BATCH: envInt(64, 1, 10_000).describe("Entries read per XREADGROUP / XAUTOCLAIM call"),
  PUSH_CONCURRENCY: envInt(64, 1, 10_000).describe("Provider sends in flight per worker"),
  PUSH_CLAIM_IDLE_MS: envInt(30_000, 100, 24 * 3_600_000).describe(
    "Pending entries idle this long (a dead or stuck worker's, or a send to retry) are claimed by another worker, ms",
  ),
  PUSH_MAX_DELIVERIES: envInt(5, 1, 100).describe("Attempts of one entry (its delivery count) before it is logged failed and acknowledged"),
  PUSH_ALERT_TTL_SECONDS: envInt(86_400, 0, 28 * 86_400).describe("How long providers keep an undelivered alert, s"),
  PUSH_CALL_TTL_SECONDS: envInt(60, 0, 3_600).describe("How long providers keep an undelivered call invite or cancel, s"),
  PUSH_LOG_RETENTION_DAYS: envInt(30, 1, 3_650).describe("Push log records older than this are removed (scheduler job push-log)"),
};
