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

  /** Per user, the tail of the chain of this gateway's expensive events (syncs) of that user. */
  private readonly chains = new Map<number, Promise<void>>();

  /**
   * Runs a user's expensive events (syncs) on this gateway one at a time, so that a user's many sockets
   * cannot start many at once before their cost is charged: each one's budget check sees the charges of the
   * ones before it.
   */
  oneAtATime(userId: number, work: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(userId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.chains.set(userId, tail);
    void tail.then(() => {
      if (this.chains.get(userId) === tail) this.chains.delete(userId);
    });
    return next;
  }

  /**
   * Charges a user's budget for the extra cost of an event already served (a sync's conversations read),
   * so that expensive events use the budget up faster; past the budget the next events are refused.
   * @throws Redis's error when it cannot be reached.
   */
  async charge(kind: EventKind, userId: number, points: number): Promise<void> {
    if (points > 0) await this.perUser[kind].take(String(userId), points);
  }

  /**
   * Counts one event of a user against the user's budget (Redis, all devices together).
   * @throws AppError RATE_LIMITED when over it; Redis's own error when it cannot be reached (retryable).
   */
  async checkUser(kind: EventKind, userId: number): Promise<void> {
    const result = await this.perUser[kind].take(String(userId));
    if (!result.allowed) throw new AppError("RATE_LIMITED", { retryAfterSeconds: result.retryAfterSeconds });
  }
}
