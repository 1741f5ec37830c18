import { Counter, Gauge, Histogram, type Registry } from "@im/telemetry";
import { countSessions } from "./metric-labels.js";

type SessionSource = () => Iterable<{ userId: number; resource: string }>;

/** The Redis connections the gateway depends on, by role, and whether each is usable now. */
type RedisSource = () => Array<{ role: "store" | "adapter_pub" | "adapter_sub"; ready: boolean }>;

/** Every Prometheus metric of a gateway (docs/architecture.md, "Observability"). Labels are bounded sets. */
export function createGatewayMetrics(
  registry: Registry,
  sessions: SessionSource,
  redis: RedisSource = () => [],
  ready: () => boolean = () => true,
) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, buckets: number[], labelNames: L[] = []) =>
    new Histogram<L>({ name, help, buckets, labelNames, registers });
  // The gauges are read from the live sockets at scrape time, so they can never drift.
  new Gauge({
    name: "im_online_users",
    help: "Distinct users with at least one socket on this gateway",
    registers,
    collect() {
      this.set(countSessions(sessions()).users);
    },
  });
  new Gauge({
    name: "im_connected_devices",
    help: "Sockets on this gateway by client resource",
    labelNames: ["resource"],
    registers,
    collect() {
      for (const [resource, count] of countSessions(sessions()).devices) this.set({ resource }, count);
    },
  });
  // While an adapter connection is down, messages reach only sockets on this gateway (sync repairs the rest).
  new Gauge({
    name: "im_redis_connected",
    help: "1 when the Redis connection of this role is ready (store, adapter_pub, adapter_sub), else 0",
    labelNames: ["role"],
    registers,
    collect() {
      for (const { role, ready } of redis()) this.set({ role }, ready ? 1 : 0);
    },
  });
  new Gauge({
    name: "im_gateway_ready",
    help: "1 while this gateway is ready for connections (Redis and MongoDB usable, not draining), else 0",
    registers,
    collect() {
      this.set(ready() ? 1 : 0);
    },
  });
  return {
    registry,
    connectionsOpened: counter("im_connections_opened_total", "Sockets accepted after the handshake", ["resource"]),
    connectionsClosed: counter("im_connections_closed_total", "Sockets closed, by Socket.IO disconnect reason", ["reason"]),
    handshakeFailures: counter("im_handshake_failures_total", "Handshakes refused, by error key", ["reason"]),
    sessionsEnded: counter("im_sessions_ended_total", "Sockets disconnected because their session ended, by reason", ["reason"]),
    messagesReceived: counter("im_messages_received_total", "Valid message:send events", ["chat_type", "type"]),
    messagesStored: counter("im_messages_stored_total", "Messages stored for the first time", ["chat_type", "type"]),
    messagesDuplicate: counter("im_messages_duplicate_total", "Resends of an already stored messageId", ["chat_type"]),
    messagesDelivered: counter("im_messages_delivered_total", "Recipient user rooms a message was emitted to", ["chat_type"]),
    messagesRejected: counter("im_messages_rejected_total", "message:send refused, by error key", ["reason"]),
    receiptLatency: histogram(
      "im_receipt_latency_seconds",
      "message:send handler start to durable store and ack",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ["chat_type"],
    ),
    deliveryLatency: histogram(
      "im_delivery_latency_seconds",
      "Message stored (its serverTime) to written to a recipient socket on this gateway, per delivering gateway",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ["chat_type"],
    ),
    adapterPublished: counter("im_adapter_messages_published_total", "Messages this gateway published to the Redis adapter, by type", [
      "type",
    ]),
    adapterReceived: counter(
      "im_adapter_messages_received_total",
      "Messages received from other nodes through the Redis adapter, by type",
      ["type"],
    ),
    groupFanout: histogram("im_group_fanout_size", "Recipients per group message", [1, 5, 10, 50, 100, 500, 1000, 5000]),
    targetCache: counter(
      "im_gateway_target_cache_total",
      "Send authorisation lookups by cache (user, room) and result (hit: cached or a load already in flight; miss: read from MongoDB)",
      ["kind", "result"],
    ),
    syncRequests: counter("im_sync_requests_total", "sync requests answered"),
    syncRefused: counter("im_sync_refused_total", "sync requests refused with BUSY_RETRY: no slot within GATEWAY_SYNC_MAX_WAIT_MS"),
    syncMessagesServed: counter("im_sync_messages_served_total", "Messages returned by sync"),
    rateLimited: counter(
      "im_socket_events_rate_limited_total",
      "Socket events refused with RATE_LIMITED, by event kind and tier (socket, user; held: a send after a refusal, within its retry delay)",
      ["kind", "tier"],
    ),
    writeBatchSize: histogram("im_message_write_batch_size", "Message documents per insertMany", [1, 2, 4, 8, 16, 32, 64, 128, 256]),
    writeSeconds: histogram(
      "im_message_write_seconds",
      "Duration of one message insertMany",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
