import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createModels, syncIndexes } from "@im/data";
import { connectMongo, createRedis } from "@im/infra";
import { createObjectStorage } from "@im/media";
import { createMessageStore, createPublisher } from "@im/messaging";
import { appPushQueue } from "@im/push";
import { closeHttpServer, listen, orderedClose } from "@im/service";
import { createLogger, createMetricsRegistry, createMongoCommandMetrics, type Logger } from "@im/telemetry";
import { createApp } from "./app.js";
import type { UploadConfig } from "./config.js";
import type { UploadDeps } from "./context.js";
import { createUploadMetrics } from "./metrics.js";
import { sweepStaleWorkDirs } from "./uploads.js";

/** The longest one upload request may take (Node's default is 300 s; large uploads take longer). */
const REQUEST_TIMEOUT_MS = 60 * 60_000;

export interface RunningUpload {
  readonly url: string;
  readonly port: number;
  readonly deps: UploadDeps;
  readonly server: Server;
  close(): Promise<void>;
}

export interface StartUploadOptions {
  logger?: Logger;
}

/**
 * Connects to MongoDB, Redis and the object storage (creating the bucket when missing), prepares the temp
 * folder and indexes, and starts listening. close() stops accepting, lets running uploads finish, then
 * closes the stores.
 */
export async function startUpload(config: UploadConfig, options: StartUploadOptions = {}): Promise<RunningUpload> {
  const logger = options.logger ?? createLogger({ name: "upload", level: config.LOG_LEVEL });
  const registry = createMetricsRegistry("upload");
  const metrics = createUploadMetrics(registry);
  const storage = createObjectStorage(config, { registry, partSize: config.UPLOAD_PART_SIZE_BYTES });
  await storage.ensureBucket();
  await mkdir(config.UPLOAD_TMP_DIR, { recursive: true });
  // Spool folders of a process that died mid-upload: older than the longest upload and its processing.
  const swept = await sweepStaleWorkDirs(config.UPLOAD_TMP_DIR, REQUEST_TIMEOUT_MS + config.UPLOAD_PROCESS_TIMEOUT_SECONDS * 1000);
  if (swept > 0) logger.info({ swept }, "stale upload work folders removed");
  const mongo = await connectMongo(config.MONGO_URL, { onCommand: createMongoCommandMetrics(registry) });
  const redis = createRedis(config.REDIS_URL, "upload", logger);
  const models = createModels(mongo);
  await syncIndexes(models);
  const messages = createMessageStore(mongo, redis, config.MESSAGE_SHARDS, { push: appPushQueue({ config, redis, registry, logger }) });
  // Room notices (402 when an owner deletes a shared file) reach members' sockets through the gateways' adapter.
  const publisherRedis = createRedis(config.REDIS_URL, "upload-publisher", logger);
  const publisher = createPublisher(publisherRedis);
  const deps: UploadDeps = { config, logger, redis, mongo, models, registry, metrics, storage, messages, publisher };

  const server = createServer(createApp(deps));
  server.keepAliveTimeout = 65_000;
  // Large uploads take long: the request timeout bounds a whole upload (Node's default is 300 s).
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const { port, url } = await listen(server, config.UPLOAD_PORT, config.UPLOAD_HOST);
  logger.info({ port }, "upload listening");
  return {
    url,
    port,
    deps,
    server,
    close: orderedClose(
      [
        { name: "http", run: () => closeHttpServer(server, 30_000) },
        { name: "publisher", run: () => publisher.close() },
        { name: "redis", run: () => Promise.all([publisherRedis.quit(), redis.quit()].map((p) => p.catch(() => undefined))) },
        { name: "mongodb", run: () => mongo.close() },
      ],
      logger,
    ),
  };
}
