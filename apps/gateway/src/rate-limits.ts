import { Budget, type Redis } from "@im/infra";
import { AppError, isMessageType, messageType, messageTypes } from "@im/protocol";
import type { GatewayConfig } from "./config.js";

/** The kinds of socket event with a budget of their own. */
export type EventKind = "send" | "receipt" | "relay" | "sync";

/**
 * The budget kind of a socket event, from its name and (for `message:send`) the raw payload's `type`, read
 * before validation: read receipts (26) and relayed-only types (typing) have budgets of their own, any other
 * or malformed send counts as a send.
 */
export function eventKind(event: "message:send" | "sync", payload: unknown): EventKind {
  if (event === "sync") return "sync";
  const type = typeof payload === "object" && payload !== null ? (payload as { type?: unknown }).type : undefined;
  if (typeof type !== "number" || !isMessageType(type)) return "send";
  if (type === messageType.readReceipt) return "receipt";
  return messageTypes[type].stored ? "send" : "relay";
}

/**
 * Per-socket and per-user budgets of socket events (GATEWAY_RATE_*): the socket's in this process's memory
 * (checked first, no round trip: one noisy socket is refused without touching Redis), the user's in Redis,
 * shared by all gateways (one round trip; a user over budget is then blocked in memory for the rest of
 * the window). An event over either budget is refused with a retryable RATE_LIMITED and retryAfterSeconds.
 */
export class SocketRateLimits {
  private readonly perSocket: Record<EventKind, Budget>;
  private readonly perUser: Record<EventKind, Budget>;

  constructor(config: GatewayConfig, redis: Redis) {
    const durationSeconds = config.GATEWAY_RATE_WINDOW_SECONDS;
    const budgets = (tier: "socket" | "user", points: Record<EventKind, number>, store?: Redis) =>
      Object.fromEntries(
        Object.entries(points).map(([kind, n]) => [kind, new Budget({ name: `${kind}:${tier}`, points: n, durationSeconds }, store)]),
      ) as Record<EventKind, Budget>;
    this.perSocket = budgets("socket", {
      send: config.GATEWAY_RATE_SEND_PER_SOCKET,
      receipt: config.GATEWAY_RATE_RECEIPT_PER_SOCKET,
      relay: config.GATEWAY_RATE_RELAY_PER_SOCKET,
      sync: config.GATEWAY_RATE_SYNC_PER_SOCKET,
    });
    this.perUser = budgets(
      "user",
      {
        send: config.GATEWAY_RATE_SEND_PER_USER,
        receipt: config.GATEWAY_RATE_RECEIPT_PER_USER,
        relay: config.GATEWAY_RATE_RELAY_PER_USER,
        sync: config.GATEWAY_RATE_SYNC_PER_USER,
      },
      redis,
    );
  }

  /**
   * Counts one event of a socket against its budget (memory only).
   * @throws AppError RATE_LIMITED (retryable, with retryAfterSeconds) when the socket is over it.
   */
  async checkSocket(kind: EventKind, socketId: string): Promise<void> {
    const result = await this.perSocket[kind].take(socketId);
    if (!result.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: result.retryAfterSeconds });
  }

  /**
   * Per user, the extra cost of their last costly event (a sync's conversations), charged up front on the
   * next one, so that a user's many sockets cannot start many expensive syncs at once before their cost is
   * known. Bounded: the oldest entries are forgotten first (a forgotten user's next sync costs 1 up front).
   */
  private readonly lastExtra = new Map<number, number>();

  /**
   * Counts one costly event of a user (a sync) with its expected extra cost, the cost of the user's last one.
   * @throws like checkUser.
   */
  async checkUserCostly(kind: EventKind, userId: number): Promise<number> {
    const expected = this.lastExtra.get(userId) ?? 0;
    await this.checkUser(kind, userId, 1 + expected);
    return expected;
  }

  /**
   * Records the real extra cost of a costly event served (a sync's conversations) and charges what the up-front
   * charge missed, so that expensive events use the budget up faster.
   * @throws Redis's error when it cannot be reached.
   */
  async settleCost(kind: EventKind, userId: number, expected: number, actual: number): Promise<void> {
    this.lastExtra.delete(userId);
    if (actual > 0) {
      if (this.lastExtra.size >= 100_000) {
        const oldest = this.lastExtra.keys().next().value;
        if (oldest !== undefined) this.lastExtra.delete(oldest);
      }
      this.lastExtra.set(userId, actual);
    }
    if (actual > expected) await this.perUser[kind].take(String(userId), actual - expected);
  }

  /**
   * Counts one event of a user against the user's budget (Redis, all devices together).
   * @throws AppError RATE_LIMITED when over it; Redis's own error when it cannot be reached (retryable).
   */
  async checkUser(kind: EventKind, userId: number, points = 1): Promise<void> {
    const result = await this.perUser[kind].take(String(userId), points);
    if (!result.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: result.retryAfterSeconds });
  }
}
