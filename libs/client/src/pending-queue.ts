import { type ErrorBody, type ErrorCode, errorCatalogue, isMediaMessageType, type Receipt, type SendMessageInput } from "@im/protocol";

/** Seed section 八: resend after this long without a receipt — text 15 s, media messages (2, 3, 5, 6, 7, 9) 45 s. */
export function receiptTimeoutFor(type: number, timeouts: { text: number; media: number }): number {
  return isMediaMessageType(type) ? timeouts.media : timeouts.text;
}

/**
 * How the SDK treats an error answer (the kind of its catalogue key):
 * - `final`: the client's fault (invalid, unauthenticated, forbidden, not found, conflict, too large): the
 *   send rejects at once;
 * - `wait`: the server is alive and asks to come back later (RATE_LIMITED, SERVICE_UNAVAILABLE, BUSY_RETRY):
 *   retried after retryAfterSeconds with jittered backoff, for as long as it takes;
 * - `server`: INTERNAL_ERROR, a server bug: retried likewise, but counted against maxAttempts.
 */
export type ErrorTreatment = "final" | "wait" | "server";

export function errorTreatment(key: ErrorCode): ErrorTreatment {
  const kind = errorCatalogue[key]?.kind;
  if (kind === "rate_limited" || kind === "unavailable") return "wait";
  if (kind === "internal" || kind === undefined) return "server";
  return "final";
}

/**
 * The delay before retrying a refused send or sync, in ms: at least the server's `retryAfterSeconds`
 * (1 s when absent), doubling with each retry of the same item up to 30 s, jittered 1–1.5× so that clients
 * refused together do not come back together.
 */
export function retryDelayMs(error: ErrorBody["error"], retries: number, random = Math.random): number {
  const asked = Math.max(0, error.retryAfterSeconds ?? 1) * 1000;
  const backoff = Math.min(500 * 2 ** Math.max(0, retries - 1), 30_000);
  return Math.round(Math.max(asked, backoff) * (1 + random() * 0.5));
}

export interface PendingMessage {
  message: SendMessageInput & { messageId: string };
  attempts: number;
  /** Retryable refusals (RATE_LIMITED, SERVICE_UNAVAILABLE, ...) answered so far. */
  retries?: number;
  /** An attempt is waiting for its answer. */
  inFlight?: boolean;
  resolve(receipt: Receipt): void;
  reject(error: Error): void;
}

/** Messages sent but not yet acknowledged, by messageId, in the order they were sent. */
export class PendingQueue {
  private readonly items = new Map<string, PendingMessage>();

  add(item: PendingMessage): void {
    this.items.set(item.message.messageId, item);
  }

  get(messageId: string): PendingMessage | undefined {
    return this.items.get(messageId);
  }

  settle(messageId: string): PendingMessage | undefined {
    const item = this.items.get(messageId);
    this.items.delete(messageId);
    return item;
  }

  /** The oldest message not yet acknowledged. */
  first(): PendingMessage | undefined {
    return this.items.values().next().value;
  }

  all(): PendingMessage[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }
}
