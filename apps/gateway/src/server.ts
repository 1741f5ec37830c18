import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createModels } from "@im/data";
import { connectMongo, createRedis } from "@im/infra";
import { createMessageStore, KeywordFilter, syncMessageIndexes } from "@im/messaging";
import { createLogger, createMetricsRegistry, createMongoCommandMetrics, type Logger } from "@im/telemetry";
import { Server } from "socket.io";
import { observedShardedAdapter, recordDeliverySpan } from "./adapter.js";
import { Admission } from "./admission.js";
import type { GatewayConfig } from "./config.js";
import { onConnection } from "./connection.js";
import type { GatewayDeps, ImServer } from "./context.js";
import { handshake } from "./handshake.js";
import { chatTypeLabel } from "./metric-labels.js";
import { createGatewayMetrics } from "./metrics.js";
import { Presence } from "./presence.js";
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
  const redis = createRedis(config.REDIS_URL, `gateway-${config.GATEWAY_ID}`);
  const pub = createRedis(config.REDIS_URL, `gateway-${config.GATEWAY_ID}-pub`);
  const sub = pub.duplicate();
  const models = createModels(mongo);
  let draining = false;
  const isReady = () => !draining && mongo.readyState === 1 && redis.status === "ready" && pub.status === "ready" && sub.status === "ready";
  // Read at scrape time only, once `io` exists.
  const metrics = createGatewayMetrics(
    registry,
    () => [...io.of("/").sockets.values()].map((s) => s.data),
    () => [
      { role: "store", ready: redis.status === "ready" },
      { role: "adapter_pub", ready: pub.status === "ready" },
      { role: "adapter_sub", ready: sub.status === "ready" },
    ],
    isReady,
  );
  const store = createMessageStore(mongo, redis, config.MESSAGE_SHARDS, {
    writeBatch: config.MESSAGE_WRITE_BATCH,
    seqLeaseMs: config.MESSAGE_SEQ_LEASE_MS,
    onWrite: (size, seconds) => {
      metrics.writeBatchSize.observe(size);
      metrics.writeSeconds.observe(seconds);
    },
  });
  await syncMessageIndexes(store);
  const keywords = new KeywordFilter(models, redis, { onError: (error) => logger.warn({ err: error }, "keyword filter reload failed") });
  await keywords.start();

  const http: HttpServer = createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (req.url === "/readyz") {
      const ready = isReady();
      res
        .writeHead(ready ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify({ status: ready ? "ready" : "not ready" }));
      return;
    }
    if (req.url === "/metrics") {
      registry.metrics().then((text) => res.writeHead(200, { "content-type": registry.contentType }).end(text));
      return;
    }
    res.writeHead(404).end();
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
  });
  const syncAdmission = new Admission(config.GATEWAY_SYNC_CONCURRENCY, config.GATEWAY_SYNC_MAX_WAIT_MS);
  const targets = createTargetCaches(models, redis, {
    maxWeight: config.GATEWAY_TARGET_CACHE_ENTRIES,
    onResult: (kind, result) => metrics.targetCache.inc({ kind, result }),
  });
  const deps: GatewayDeps = { config, logger, redis, models, store, metrics, io, keywords, syncAdmission, targets };
  const presenceTtl = config.GATEWAY_PING_INTERVAL_MS + config.GATEWAY_PING_TIMEOUT_MS + 15_000;
  const presence = new Presence(redis, models, config.GATEWAY_ID, presenceTtl);
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

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.GATEWAY_PORT, config.GATEWAY_HOST, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = config.GATEWAY_HOST === "0.0.0.0" ? "127.0.0.1" : config.GATEWAY_HOST;
  logger.info({ port, gatewayId: config.GATEWAY_ID }, "gateway listening");
  return {
    url: `http://${host}:${port}`,
    port,
    deps,
    async close() {
      // Readiness goes first, so a load balancer stops sending new connections while the sockets close.
      draining = true;
      clearInterval(refresher);
      await keywords.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      // The adapter's SUNSUBSCRIBEs are not awaited by it: a PING answered after them means they are done.
      await sub.ping().catch(() => undefined);
      await Promise.all([sub.quit(), pub.quit(), redis.quit()].map((p) => p.catch(() => undefined)));
      await mongo.close();
    },
  };
}
