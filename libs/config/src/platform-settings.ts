import { z } from "zod";
import { envInt } from "./env-types.js";

/**
 * Settings every server app of the platform shares (spread into each app's schema), so the data stores,
 * logging, tracing and the message layout are described once.
 */
export const platformSettings = {
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/.+\/[^/?]+/, "must be a mongodb:// URL that names a database")
    .default("mongodb://127.0.0.1:27017/im")
    .describe("MongoDB (or FerretDB) connection string, with the database name"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .default("redis://127.0.0.1:6379")
    .describe("Redis connection string"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("pino log level"),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .url()
    .optional()
    .describe("OTLP/HTTP traces endpoint (e.g. http://otel-collector:4318/v1/traces); tracing export is off when unset"),
  MESSAGE_SHARDS: envInt(8, 1, 1024).describe(
    "Message collections per kind (user shards, room shards); the same in every app, fixed after the first start (docs/messaging.md)",
  ),
  MESSAGE_WRITE_BATCH: envInt(128, 1, 1000).describe("Most messages written to one shard in one insertMany (1 = no batching)"),
  MESSAGE_SEQ_LEASE_MS: envInt(10_000, 500, 600_000).describe(
    "How long a handed-out message seq may stay in flight before sync/history resolve it as its writer's failure, ms (docs/messaging.md)",
  ),
};
