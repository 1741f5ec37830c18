import type { PushProviderName } from "@im/data";
import { createModels, syncIndexes } from "@im/data";
import { connectMongo, createRedis } from "@im/infra";
import type { PushProvider } from "@im/push";
import { orderedClose, Readiness, startHealthServer } from "@im/service";
import { createLogger, createMetricsRegistry, createMongoCommandMetrics, type Logger, type Registry } from "@im/telemetry";
import type { PushConfig } from "./config.js";
import { createPushMetrics, type PushMetrics } from "./metrics.js";
import { createProviders, EXPIRED_REASON } from "./providers/index.js";
import { registerQueueGauges } from "./queue-gauges.js";
import { PushWorker } from "./worker.js";

export interface RunningPush {
  readonly url: string;
  readonly port: number;
  readonly registry: Registry;
  readonly metrics: PushMetrics;
  readonly worker: PushWorker;
  close(): Promise<void>;
}

export interface StartPushOptions {
  logger?: Logger;
  /** The provider clients (default: createProviders(config), one per provider whose credentials are set). */
  providers?: PushProvider[];
}

/**
 * Connects to MongoDB and Redis, creates the provider clients and starts one push worker (worker.ts) and the
 * probe server (/healthz, /readyz, /metrics on PUSH_PORT). close() stops reading, lets the entries in work
 * finish and be acknowledged, then closes providers and stores; entries it did not take stay in the streams
 * for the other workers.
 */
export async function startPush(config: PushConfig, options: StartPushOptions = {}): Promise<RunningPush> {
  const logger = options.logger ?? createLogger({ name: "push", level: config.LOG_LEVEL });
  const registry = createMetricsRegistry("push");
  const metrics = createPushMetrics(registry);
  // Credentials are checked before any store is touched: an incomplete one stops start-up (exit 78).
  const providers = options.providers ?? createProviders(config, { logger, metrics: { requestDuration: metrics.providerDuration } });
  const mongo = await connectMongo(config.MONGO_URL, { onCommand: createMongoCommandMetrics(registry) });
  const redis = createRedis(config.REDIS_URL, `push-${config.PUSH_CONSUMER}`, logger);
  const reader = createRedis(config.REDIS_URL, `push-reader-${config.PUSH_CONSUMER}`, logger);
  const models = createModels(mongo);
  await syncIndexes(models);
  const byProvider = new Map<string, PushProvider>();
  for (const provider of providers) for (const name of provider.serves) byProvider.set(name, provider);
  if (byProvider.size === 0) logger.warn("no push provider configured: every device is skipped (provider_disabled)");
  registerQueueGauges(registry, redis);

  // One send may take every provider attempt (timeout each), the backoffs between them (≤ 8 s each) and a margin.
  const leaseMs = config.PUSH_PROVIDER_TIMEOUT_MS * (config.PUSH_PROVIDER_RETRIES + 1) + 8_000 * config.PUSH_PROVIDER_RETRIES + 1_000;
  const worker = new PushWorker({
    redis,
    reader,
    logger,
    planner: {
      redis,
      models,
      metrics,
      enabled: new Set(byProvider.keys() as Iterable<PushProviderName>),
      alertTtlSeconds: config.PUSH_ALERT_TTL_SECONDS,
      callTtlSeconds: config.PUSH_CALL_TTL_SECONDS,
    },
    sender: {
      redis,
      models,
      metrics,
      logger,
      providers: byProvider,
      maxDeliveries: config.PUSH_MAX_DELIVERIES,
      leaseMs,
      expiredReason: EXPIRED_REASON,
      doneTtlMs: Math.max(2 * config.PUSH_ALERT_TTL_SECONDS * 1_000, 3_600_000),
    },
    settings: {
      consumer: config.PUSH_CONSUMER,
      batch: config.PUSH_BATCH,
      concurrency: config.PUSH_CONCURRENCY,
      claimIdleMs: config.PUSH_CLAIM_IDLE_MS,
      maxLength: config.PUSH_QUEUE_MAX_LENGTH,
    },
  });
  await worker.start();

  const readiness = new Readiness({ mongo: () => mongo.readyState === 1, redis: () => redis.status === "ready" });
  const health = await startHealthServer({ registry, ready: () => readiness.isReady(), host: config.PUSH_HOST, port: config.PUSH_PORT });
  logger.info({ port: health.port, consumer: config.PUSH_CONSUMER, providers: [...byProvider.keys()] }, "push worker started");
  return {
    url: health.url,
    port: health.port,
    registry,
    metrics,
    worker,
    close: orderedClose(
      [
        { name: "readiness", run: () => readiness.drain() },
        { name: "worker", run: () => worker.stop() },
        { name: "providers", run: () => Promise.all(providers.map((provider) => provider.close())) },
        { name: "health server", run: () => health.close() },
        { name: "redis", run: () => Promise.all([reader, redis].map((client) => client.quit().catch(() => undefined))) },
        { name: "mongodb", run: () => mongo.close() },
      ],
      logger,
    ),
  };
}
