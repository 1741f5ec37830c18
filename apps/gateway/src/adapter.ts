import type { DeliveredMessage } from "@im/protocol";
import { recordRemoteChildSpan, SpanKind } from "@im/telemetry";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import type { Namespace, ServerOptions } from "socket.io";

/** What the gateway observes on its Socket.IO adapter. */
export interface AdapterObserver {
  /** A message this gateway published to the other gateways through Redis. */
  published(type: string): void;
  /** A message from another gateway (or the API's publisher) this gateway received through Redis. */
  received(type: string): void;
  /** A delivered chat message was written to `sockets` (> 0) of this gateway's sockets. */
  delivered(message: DeliveredMessage, sockets: number): void;
}

/** socket.io-adapter's cluster message types (ClusterAdapter MessageType), as bounded metric labels. */
const messageTypeLabels: Record<number, string> = {
  1: "heartbeat",
  2: "heartbeat",
  3: "broadcast",
  4: "sockets_join",
  5: "sockets_leave",
  6: "disconnect_sockets",
  7: "fetch_sockets",
  8: "fetch_sockets_response",
  9: "server_side_emit",
  10: "server_side_emit_response",
  11: "broadcast_client_count",
  12: "broadcast_ack",
  13: "adapter_close",
};
export const adapterMessageType = (type: unknown): string => (typeof type === "number" && messageTypeLabels[type]) || "other";

/**
 * The members of socket.io-adapter 2.5's ClusterAdapter / @socket.io/redis-adapter 8.3's ShardedRedisAdapter
 * that are hooked (both pinned in package.json; tests/observability checks the counts and the delivery spans
 * end to end, so an upgrade that moves them fails there):
 * - doPublish: every message sent to Redis; onMessage: every message received from it (own echoes dropped);
 * - _encode then apply, called back to back and synchronously by Adapter.broadcast for every local delivery
 *   (whether the broadcast started here or arrived from Redis): the packet, then each matching socket.
 */
interface AdapterInternals {
  uid: string;
  doPublish(message: { type?: unknown }): Promise<string>;
  onMessage(message: { uid?: unknown; type?: unknown }, offset?: string): unknown;
  _encode(packet: { data?: unknown }, options: unknown): unknown;
  apply(options: unknown, callback: (socket: unknown) => void): void;
}

function chatMessageOf(packet: { data?: unknown }): DeliveredMessage | undefined {
  const data = packet.data;
  if (!Array.isArray(data) || data[0] !== "message") return undefined;
  const message = data[1] as Partial<DeliveredMessage> | undefined;
  return message && typeof message.serverTime === "number" && typeof message.messageId === "string"
    ? (message as DeliveredMessage)
    : undefined;
}

/**
 * The sharded Redis adapter of the gateway with its traffic observed. Socket.IO calls the factory with
 * `new`, so it is a function returning the adapter instance (a constructor may return an object).
 */
export function observedShardedAdapter(pub: Redis, sub: Redis, observer: AdapterObserver): ServerOptions["adapter"] {
  const factory = createShardedAdapter(pub, sub, { subscriptionMode: "dynamic" });
  return function observedAdapter(nsp: Namespace) {
    const adapter = factory(nsp);
    const internals = adapter as unknown as AdapterInternals;
    const doPublish = internals.doPublish.bind(adapter);
    internals.doPublish = (message) => {
      observer.published(adapterMessageType(message.type));
      return doPublish(message);
    };
    const onMessage = internals.onMessage.bind(adapter);
    internals.onMessage = (message, offset) => {
      if (message.uid !== internals.uid) observer.received(adapterMessageType(message.type));
      return onMessage(message, offset);
    };
    let encoding: DeliveredMessage | undefined;
    const encode = internals._encode.bind(adapter);
    internals._encode = (packet, options) => {
      encoding = chatMessageOf(packet);
      return encode(packet, options);
    };
    const apply = internals.apply.bind(adapter);
    internals.apply = (options, callback) => {
      const message = encoding;
      encoding = undefined;
      if (!message) return apply(options, callback);
      let sockets = 0;
      apply(options, (socket) => {
        sockets++;
        callback(socket);
      });
      if (sockets > 0) observer.delivered(message, sockets);
    };
    return adapter;
  };
}

/** The span a recipient gateway records for a delivery, in the trace of the send that caused it. */
export function recordDeliverySpan(message: DeliveredMessage, sockets: number, gatewayId: string): void {
  recordRemoteChildSpan("@im/gateway", "im.message.deliver", message.traceparent, SpanKind.CONSUMER, {
    "messaging.system": "socket.io",
    "messaging.operation.name": "deliver",
    "messaging.message.id": message.messageId,
    "im.conversation_id": message.conversationId,
    "im.sockets": sockets,
    "im.gateway_id": gatewayId,
  });
}
