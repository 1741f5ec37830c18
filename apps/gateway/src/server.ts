import { createServer, type Server as HttpServer } from "node:http";
import { createModels } from "@im/data";
import { connectMongo, createRedis, reportRedisErrors } from "@im/infra";
import { mediaThumbUrl, mediaUrl } from "@im/media";
import { createMessageStore, KeywordFilter, syncMessageIndexes } from "@im/messaging";
import { appPushQueue } from "@im/push";
import { healthHandler, listen, orderedClose, Readiness } from "@im/service";
import { createLogger, createMetricsRegistry, createMongoCommandMetrics, type Logger } from "@im/telemetry";
import { Server } from "socket.io";
import { observedShardedAdapter, recordDeliverySpan } from "./adapter.js";
import { Admission } from "./admission.js";
import type { GatewayConfig } from "./config.js";
import { onConnection } from "./connection.js";
import type { GatewayDeps, ImServer } from "./context.js";
import { handshake } from "./handshake.js";
import { InFlightEvents } from "./in-flight.js";
import { chatTypeLabel } from "./metric-labels.js";
import { createGatewayMetrics } from "./metrics.js";
import { Presence } from "./presence.js";
import { watchSessionEnds } from "./session-end.js";
import { createTargetCaches } from "./targets/caches.js";

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly deps: GatewayDeps;
  close(): Promise<void>;
}

/** Starts one gateway process: Socket.IO over HTTP, sharded Redis adapter, presence, message handlers. */
export async function startGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ name: "gateway", level: config.LOG_LEVEL });
  const registry = createMetricsRegistry("gateway");
  const mongo = await connectMongo(config.MONGO_URL, { onCommand: createMongoCommandMetrics(registry) });
  const redis = createRedis(config.REDIS_URL, `gateway-${config.GATEWAY_ID}`, logger);
  const pub = createRedis(config.REDIS_URL, `gateway-${config.GATEWAY_ID}-pub`, logger);
  const sub = pub.duplicate();
  reportRedisErrors(sub, `gateway-${config.GATEWAY_ID}-sub`, logger);
  const models = createModels(mongo);
  const readiness = new Readiness({
    mongo: () => mongo.readyState === 1,
    redis: () => redis.status === "ready",
    adapter: () => pub.status === "ready" && sub.status === "ready",
  });
  // Read at scrape time only, once `io` exists.
  const metrics = createGatewayMetrics(
    registry,
    () => [...io.of("/").sockets.values()].map((s) => s.data),
    () => [
      { role: "store", ready: redis.status === "ready" },
      { role: "adapter_pub", ready: pub.status === "ready" },
      { role: "adapter_sub", ready: sub.status === "ready" },
    ],
    () => readiness.isReady(),
  );
  const store = createMessageStore(mongo, redis, config.MESSAGE_SHARDS, {
    writeBatch: config.MESSAGE_WRITE_BATCH,
    seqLeaseMs: config.MESSAGE_SEQ_LEASE_MS,
    mediaLinks: {
      url: (uploadId) => mediaUrl(config.MEDIA_PUBLIC_URL, uploadId),
      thumbUrl: (uploadId) => mediaThumbUrl(config.MEDIA_PUBLIC_URL, uploadId),
    },
    onWrite: (size, seconds) => {
      metrics.writeBatchSize.observe(size);
      metrics.writeSeconds.observe(seconds);
    },
    push: appPushQueue({ config, redis, registry, logger }),
  });
  await syncMessageIndexes(store);
  const keywords = new KeywordFilter(models, redis, { onError: (error) => logger.warn({ err: error }, "keyword filter reload failed") });
  await keywords.start();

  const health = healthHandler({ registry, ready: () => readiness.isReady() });
  const http: HttpServer = createServer((req, res) => {
    if (!health(req, res)) res.writeHead(404).end();
  });
  const io: ImServer = new Server(http, {
    adapter: observedShardedAdapter(pub, sub, {
      published: (type) => metrics.adapterPublished.inc({ type }),
      received: (type) => metrics.adapterReceived.inc({ type }),
      delivered: (message, sockets) => {
        metrics.deliveryLatency.observe(
          { chat_type: chatTypeLabel(message.chatType) },
          Math.max(0, Date.now() - message.serverTime) / 1000,
        );
        recordDeliverySpan(message, sockets, config.GATEWAY_ID);
      },
    }),
    transports: config.GATEWAY_ALLOW_POLLING ? ["polling", "websocket"] : ["websocket"],
    pingInterval: config.GATEWAY_PING_INTERVAL_MS,
    pingTimeout: config.GATEWAY_PING_TIMEOUT_MS,
    maxHttpBufferSize: config.GATEWAY_MAX_MESSAGE_BYTES,
    cors: { origin: true, credentials: true },
    // A handshake over a connection still open while shutting down is refused; the client retries elsewhere.
    allowRequest: (_req, callback) => callback(readiness.isDraining ? "shutting down" : null, !readiness.isDraining),
  });
  const syncAdmission = new Admission(config.GATEWAY_SYNC_CONCURRENCY, config.GATEWAY_SYNC_MAX_WAIT_MS);
  const targets = createTargetCaches(models, redis, {
    maxWeight: config.GATEWAY_TARGET_CACHE_ENTRIES,
    onResult: (kind, result) => metrics.targetCache.inc({ kind, result }),
  });
  const deps: GatewayDeps = { config, logger, redis, models, store, metrics, io, keywords, syncAdmission, targets };
  const presenceTtl = config.GATEWAY_PING_INTERVAL_MS + config.GATEWAY_PING_TIMEOUT_MS + 15_000;
  const presence = new Presence(redis, models, config.GATEWAY_ID, presenceTtl);
  const inFlight = new InFlightEvents();
  io.on("connection", (socket) => socket.use(inFlight.track));
  const sessionEnds = await watchSessionEnds(io, redis, logger, {
    checkMs: config.GATEWAY_SESSION_CHECK_MS,
    onEnded: (reason) => metrics.sessionsEnded.inc({ reason }),
  });
  io.use(handshake(deps));
  io.on("connection", onConnection(deps, presence));
  const refresher = setInterval(
    () => {
      const local = [...io.of("/").sockets.values()].map((s) => ({ userId: s.data.userId, socketId: s.id, resource: s.data.resource }));
      presence.refresh(local).catch((error) => logger.warn({ err: error }, "presence refresh failed"));
    },
    Math.max(1_000, Math.floor(presenceTtl / 3)),
  );
  refresher.unref();

  const { port, url } = await listen(http, config.GATEWAY_PORT, config.GATEWAY_HOST);
  logger.info({ port, gatewayId: config.GATEWAY_ID }, "gateway listening");
  return {
    url,
    port,
    deps,
    // The order of issue 10 item h: every socket's "went offline" is written before Redis and MongoDB close.
    close: orderedClose(
      [
        {
          // Readiness goes first, so a load balancer stops sending new connections; no new TCP connections either.
          name: "stop accepting",
          run: () => {
            readiness.drain();
            clearInterval(refresher);
            http.close();
          },
        },
        { name: "session-end watcher", run: () => sessionEnds.close() },
        { name: "keyword filter", run: () => keywords.close() },
        {
          // io.close() runs every socket's disconnect handler at once (clients see a transport close and
          // reconnect elsewhere), then closes the adapter and the HTTP server; presence writes run meanwhile.
          name: "drain sockets",
          run: async () => {
            const closing = io.close();
            await presence.drain();
            await closing;
          },
        },
        {
          // Events already being served (a send being stored) finish; their acks go nowhere, the clients resend.
          name: "in-flight events",
          run: async () => {
            if (!(await inFlight.drained(10_000))) logger.warn({ owed: inFlight.size }, "socket events still running at shutdown");
          },
        },
        // The adapter's SUNSUBSCRIBEs are not awaited by it: a PING answered after them means they are done.
        { name: "adapter", run: () => sub.ping() },
        { name: "redis", run: () => Promise.all([sub.quit(), pub.quit(), redis.quit()].map((p) => p.catch(() => undefined))) },
        { name: "mongodb", run: () => mongo.close() },
      ],
      logger,
    ),
  };
}
