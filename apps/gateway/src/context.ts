import type { Models } from "@im/data";
import type { Redis } from "@im/infra";
import type { KeywordFilter, MessageStore } from "@im/messaging";
import type { ClientToServerEvents, ServerToClientEvents } from "@im/protocol";
import type { Logger } from "@im/telemetry";
import type { Server, Socket } from "socket.io";
import type { Admission } from "./admission.js";
import type { GatewayConfig } from "./config.js";
import type { GatewayMetrics } from "./metrics.js";
import type { TargetCaches } from "./targets/caches.js";

/** What the gateway keeps about each authenticated socket. */
export interface SocketData {
  userId: number;
  resource: string;
  deviceId: string;
  sessionId: string;
}

// biome-ignore lint/complexity/noBannedTypes: Socket.IO's inter-server event map; we define none.
type InterServerEvents = {};

export type ImServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ImSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  redis: Redis;
  models: Models;
  store: MessageStore;
  /** The gateway's Prometheus metrics (metrics.ts); `metrics.registry` is served on /metrics. */
  metrics: GatewayMetrics;
  io: ImServer;
  /** Banned words of the keyword filter, kept current from MongoDB (seed 三.5). */
  keywords: KeywordFilter;
  /** Bounds the syncs running at once (admission.ts). */
  syncAdmission: Admission;
  /** Users and rooms as message sends check them, cached exactly (targets/caches.ts). */
  targets: TargetCaches;
}
