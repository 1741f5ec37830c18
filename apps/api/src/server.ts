import { createServer, type Server } from "node:http";
import { createModels, syncIndexes } from "@im/data";
import { connectMongo, createRedis } from "@im/infra";
import { mediaThumbUrl, mediaUrl } from "@im/media";
import { createMessageStore, createPublisher, syncMessageIndexes } from "@im/messaging";
import { appPushQueue } from "@im/push";
import { closeHttpServer, listen, orderedClose } from "@im/service";
import { createLogger, createMetricsRegistry, createMongoCommandMetrics, type Logger } from "@im/telemetry";
import { createApp } from "./app.js";
import type { ApiConfig } from "./config.js";
import type { ApiDeps } from "./context.js";
import { ensureClientConfig } from "./features/client-config/store.js";
import { createSmsProvider, type SmsProvider } from "./features/sms/provider.js";
import { ensureSystemAccounts } from "./features/users/system-accounts.js";
import { syncUserIdCounter } from "./features/users/user-ids.js";
import { countingPublisher } from "./metrics.js";

export interface RunningApi {
  readonly url: string;
  readonly port: number;
  readonly deps: ApiDeps;
  readonly server: Server;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Replaces the configured SMS provider (tests read the codes it is asked to send). */
  sms?: SmsProvider;
}

/** Connects to MongoDB and Redis, prepares indexes and seed data, and starts listening. */
export async function startApi(config: ApiConfig, options: StartOptions = {}): Promise<RunningApi> {
  const logger = options.logger ?? createLogger({ name: "api", level: config.LOG_LEVEL });
  const metrics = createMetricsRegistry("api");
  const mongo = await connectMongo(config.MONGO_URL, { onCommand: createMongoCommandMetrics(metrics) });
  const redis = createRedis(config.REDIS_URL, "api", logger);
  const models = createModels(mongo);
  await syncIndexes(models);
  const messages = createMessageStore(mongo, redis, config.MESSAGE_SHARDS, {
    writeBatch: config.MESSAGE_WRITE_BATCH,
    seqLeaseMs: config.MESSAGE_SEQ_LEASE_MS,
    mediaLinks: {
      url: (uploadId) => mediaUrl(config.MEDIA_PUBLIC_URL, uploadId),
      thumbUrl: (uploadId) => mediaThumbUrl(config.MEDIA_PUBLIC_URL, uploadId),
    },
    push: appPushQueue({ config, redis, registry: metrics, logger }),
  });
  await syncMessageIndexes(messages);
  const publisherRedis = createRedis(config.REDIS_URL, "api-publisher", logger);
  const publisher = countingPublisher(createPublisher(publisherRedis), metrics);
  const deps: ApiDeps = {
    config,
    logger,
    redis,
    mongo,
    models,
    metrics,
    sms: options.sms ?? createSmsProvider(config, logger),
    messages,
    publisher,
  };
  await ensureSystemAccounts(models);
  await syncUserIdCounter(deps);
  await ensureClientConfig(models);

  const server = createServer(createApp(deps));
  server.keepAliveTimeout = 65_000;
  const { port, url } = await listen(server, config.API_PORT, config.API_HOST);
  logger.info({ port }, "api listening");
  return {
    url,
    port,
    deps,
    server,
    // Stop accepting, let in-flight requests finish (their writes need the stores), then close the stores.
    close: orderedClose(
      [
        { name: "http", run: () => closeHttpServer(server, 10_000) },
        { name: "publisher", run: () => publisher.close() },
        { name: "redis", run: () => Promise.all([publisherRedis.quit(), redis.quit()].map((p) => p.catch(() => undefined))) },
        { name: "mongodb", run: () => mongo.close() },
      ],
      logger,
    ),
  };
}
