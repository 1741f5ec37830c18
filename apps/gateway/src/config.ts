import { hostname } from "node:os";
import { ConfigError, envBoolean, envInt, loadConfig, mediaSettings, platformSettings, pushQueueSettings } from "@im/config";
import { MAX_CONTENT_BYTES, MAX_SEND_PACKET_BYTES } from "@im/protocol";
import { z } from "zod";

/** Every setting of the Socket.IO gateway, read from environment variables. */
export const gatewayConfigSchema = z.object({
  GATEWAY_HOST: z.string().default("0.0.0.0").describe("Address the gateway binds"),
  GATEWAY_PORT: envInt(5280, 0, 65535).describe("Socket.IO port; 0 picks a free port"),
  GATEWAY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default(`${hostname()}-${process.pid}`)
    .describe("This process's name in presence records"),
  ...platformSettings,
  ...pushQueueSettings,
  // Only the public base URL: media messages carry URLs under it; the gateway never talks to the storage.
  MEDIA_PUBLIC_URL: mediaSettings.MEDIA_PUBLIC_URL,
  GATEWAY_ALLOW_POLLING: envBoolean(true).describe("Allow the HTTP long-polling transport (needs sticky sessions behind a load balancer)"),
  GATEWAY_PING_INTERVAL_MS: envInt(25_000, 1_000, 600_000).describe("Heartbeat interval"),
  GATEWAY_PING_TIMEOUT_MS: envInt(20_000, 1_000, 600_000).describe("A device that misses a heartbeat this long is disconnected"),
  GATEWAY_MAX_MESSAGE_BYTES: envInt(2 * MAX_SEND_PACKET_BYTES, MAX_SEND_PACKET_BYTES, 10_485_760).describe(
    `Largest Socket.IO packet accepted; a larger one closes the socket. At least ${MAX_SEND_PACKET_BYTES}, the largest packet of a valid message (content at most ${MAX_CONTENT_BYTES} bytes of UTF-8, JSON-escaped); the default, twice that, lets content far past its limit be answered VALIDATION_FAILED`,
  ),
  GATEWAY_SYNC_CONCURRENCY: envInt(8, 1, 1_000).describe(
    "Syncs served at once by this gateway; more wait (see GATEWAY_SYNC_MAX_WAIT_MS), so a reconnect storm cannot swamp the database",
  ),
  GATEWAY_SYNC_MAX_WAIT_MS: envInt(10_000, 1, 120_000).describe(
    "Longest a sync waits for a slot before it is refused with BUSY_RETRY (the SDK retries with jittered backoff); keep it well under the client's 30 s sync timeout",
  ),
  GATEWAY_TARGET_CACHE_ENTRIES: envInt(100_000, 0, 10_000_000).describe(
    "Size of each of the two caches of what authorises a send (recipients' status and blacklists, rooms with their members), in records: a user counts 1 plus the users they block, a room 1 plus its members. Exact, not time-limited (every change replaces a version in Redis); 0 turns caching off",
  ),
  GATEWAY_SESSION_CHECK_MS: envInt(5_000, 100, 600_000).describe(
    "Longest a socket's cached 'session still exists' check is trusted before an event re-checks it in Redis; every 6 such periods all sockets are re-checked (backstop for a lost session-ended announcement)",
  ),
  GATEWAY_RECALL_WINDOW_SECONDS: envInt(120, 1, 86_400).describe("How long after sending a message its sender may recall it (type 202)"),
  GATEWAY_RATE_WINDOW_SECONDS: envInt(1, 1, 3_600).describe(
    "Window of the socket event budgets below (GATEWAY_RATE_*): each allows that many events per window; past it an event is refused with RATE_LIMITED and retryAfterSeconds",
  ),
  GATEWAY_RATE_SEND_PER_SOCKET: envInt(30, 1, 1_000_000).describe(
    "message:send of stored messages (not read receipts) per socket per window, counted in the gateway's memory",
  ),
  GATEWAY_RATE_SEND_PER_USER: envInt(60, 1, 1_000_000).describe(
    "message:send of stored messages (not read receipts) per user per window, all devices together, counted in Redis",
  ),
  GATEWAY_RATE_RECEIPT_PER_SOCKET: envInt(50, 1, 1_000_000).describe("Read receipts (type 26) per socket per window"),
  GATEWAY_RATE_RECEIPT_PER_USER: envInt(100, 1, 1_000_000).describe("Read receipts (type 26) per user per window (Redis)"),
  GATEWAY_RATE_RELAY_PER_SOCKET: envInt(5, 1, 1_000_000).describe("Relayed-only events (typing 201, 200) per socket per window"),
  GATEWAY_RATE_RELAY_PER_USER: envInt(10, 1, 1_000_000).describe("Relayed-only events (typing 201, 200) per user per window (Redis)"),
  GATEWAY_RATE_SYNC_PER_SOCKET: envInt(5, 1, 1_000_000).describe("sync requests per socket per window"),
  GATEWAY_RATE_SYNC_PER_USER: envInt(50, 1, 1_000_000).describe(
    "sync cost per user per window (Redis): each sync costs 1 plus the conversations it returned, so a user cannot keep the database busy re-reading many conversations",
  ),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(gatewayConfigSchema, env, { ownPrefixes: ["GATEWAY_"] });
  if (config.GATEWAY_PING_TIMEOUT_MS >= config.GATEWAY_PING_INTERVAL_MS * 4) {
    throw new ConfigError(["GATEWAY_PING_TIMEOUT_MS: must be less than four ping intervals"]);
  }
  return config;
}
