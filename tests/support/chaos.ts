// Helpers of the chaos tests (tests/chaos): a stack on servers the test chooses, gateways on fixed ports
// (so a restarted gateway comes back where the ingress expects it), a raw Socket.IO client written from
// docs/messaging.md alone, and checks over everything stored.
import type { DeliveredMessage, Receipt } from "@im/protocol";
import { type FerretDbServer, freePort, type RedisServer, TcpProxy } from "@im/testing";
import { io, type Socket } from "socket.io-client";
import { startStack, type TestStack } from "./stack.js";

/**
 * The chaos tests' stack: `startStack` on servers the test may have started itself (a rewindable Redis,
 * say), registration without SMS codes, 4 message shards.
 */
export function startStackOn(
  servers: { redis?: RedisServer; mongo?: FerretDbServer },
  env: Record<string, string> = {},
): Promise<TestStack> {
  return startStack({ API_SMS_REQUIRED: "false", MESSAGE_SHARDS: "4", ...env }, servers);
}

import { type GatewayProcess, startGatewayAt } from "./realtime.js";

export { startGatewayAt };

/** A stack, a TCP proxy in front of its FerretDB (to cut or hold MongoDB commands) and one gateway reaching MongoDB through it. */
export interface ProxiedDbWorld {
  stack: TestStack;
  proxy: TcpProxy;
  gateway: GatewayProcess;
  /** Raw clients the test opened; closed by stop(). */
  clients: RawClient[];
  stop(): Promise<void>;
}

/** Starts a ProxiedDbWorld (the gateway `gw1` on a free port, its MONGO_URL through the proxy). */
export async function startProxiedDbWorld(): Promise<ProxiedDbWorld> {
  const stack = await startStackOn({});
  const proxy = await TcpProxy.start({ targetPort: stack.mongo.port, protocol: "mongodb" });
  const gateway = await startGatewayAt(stack, "gw1", await freePort(), { MONGO_URL: proxy.url("mongodb", "/im_test") });
  const clients: RawClient[] = [];
  return {
    stack,
    proxy,
    gateway,
    clients,
    async stop() {
      for (const client of clients) client.close();
      await gateway.process.stop();
      await proxy.stop();
      await stack.stop();
    },
  };
}

/** The `{ok: false}` half of an acknowledgement, as docs/messaging.md describes it. */
export interface AckError {
  ok: false;
  error: { key: string; code?: number; message?: string; retryAfterSeconds?: number };
}

/** A send's outcome at the raw client: the receipt, the server's refusal, or no answer in time. */
export type SendOutcome = { ok: true; receipt: Receipt } | AckError | { ok: false; timeout: true };

/** One conversation of a sync answer; `nextCursor` and `inFlight` are read when the server sends them. */
interface SyncedConversationWire {
  conversationId: string;
  messages: DeliveredMessage[];
  hasMore: boolean;
  maxSeq?: number;
  /** The cursor to store: never past a seq whose write is still in flight. */
  nextCursor?: number;
  /** The answer stopped at a gap still being written: sync again shortly. */
  inFlight?: boolean;
}

type SyncAck = { ok: true; conversations: SyncedConversationWire[] } | AckError;

/**
 * A client written from docs/messaging.md alone, over raw socket.io-client (not the SDK): handshake with
 * `auth: {token, resource}`, `message:send` with an acknowledgement, `sync {cursors, limit}` repeated while
 * a conversation has more, and the cursor of each conversation stored as the docs say: the answer's
 * `nextCursor` when the server sends one, otherwise the seq of the last message received by sync. A live
 * message moves the cursor only when it directly follows it; one past a gap triggers a sync (the docs' rule).
 */
export class RawClient {
  readonly socket: Socket;
  /** Every message this device has, by messageId (live or synced). */
  readonly messages = new Map<string, DeliveredMessage>();
  /** Each message in the order it arrived, with how (for diagnostics). */
  readonly arrivals: Array<{ via: "live" | "sync"; message: DeliveredMessage }> = [];
  readonly cursors: Record<string, number>;
  /** Every cursor value this device stored, in order, with when (epoch ms). */
  readonly cursorLog: Array<{ conversationId: string; cursor: number; at: number }> = [];
  private syncing: Promise<void> | undefined;

  constructor(url: string, token: string, options: { resource?: string; cursors?: Record<string, number> } = {}) {
    this.cursors = { ...options.cursors };
    this.socket = io(url, {
      autoConnect: false,
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 1_000,
      auth: { token, resource: options.resource ?? "web", protocolVersion: 1 },
    });
    this.socket.on("message", (message: DeliveredMessage) => {
      this.keep("live", message);
      const cursor = this.cursors[message.conversationId] ?? 0;
      if (message.seq === cursor + 1) this.store(message.conversationId, message.seq);
      else if (message.seq > cursor + 1) void this.sync().catch(() => {});
    });
  }

  /** Connects and resolves on `session:ready` (then syncs, as the docs say a client does on every connect). */
  async connect(timeoutMs = 15_000): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no session:ready in time")), timeoutMs);
      this.socket.once("session:ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.socket.connect();
    await ready;
    await this.sync();
  }

  /** Goes offline (the cursors are kept, as a device keeps them between launches). */
  disconnect(): void {
    this.socket.disconnect();
  }

  /** One `message:send`; resolves with the acknowledgement, or `{timeout: true}` after `timeoutMs`. */
  async send(message: Record<string, unknown>, timeoutMs = 10_000): Promise<SendOutcome> {
    try {
      return (await this.socket.timeout(timeoutMs).emitWithAck("message:send", message)) as SendOutcome;
    } catch {
      return { ok: false, timeout: true };
    }
  }

  /**
   * Sends until acknowledged, resending the same messageId after an error or a missing answer (the docs'
   * "resend what has no receipt"), after the error's `retryAfterSeconds` when it has one; returns the
   * receipt and every failed outcome before it.
   */
  async sendUntilAcknowledged(
    message: Record<string, unknown>,
    options: { attempts?: number; timeoutMs?: number; pauseMs?: number } = {},
  ): Promise<{ receipt: Receipt | undefined; failures: SendOutcome[] }> {
    const failures: SendOutcome[] = [];
    for (let i = 0; i < (options.attempts ?? 20); i++) {
      const outcome = await this.send(message, options.timeoutMs ?? 5_000);
      if (outcome.ok) return { receipt: outcome.receipt, failures };
      failures.push(outcome);
      // The server's retry delay when it gives one (capped for the test), else a short pause.
      const retryAfterMs =
        "error" in outcome && outcome.error.retryAfterSeconds ? Math.min(outcome.error.retryAfterSeconds * 1000, 5_000) : 0;
      await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfterMs, options.pauseMs ?? 300)));
    }
    return { receipt: undefined, failures };
  }

  /** Syncs until no conversation has more (and none is in flight); concurrent calls share one run. */
  sync(limit = 100): Promise<void> {
    this.syncing ??= this.syncRounds(limit).finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async syncRounds(limit: number): Promise<void> {
    for (let round = 0; round < 200; round++) {
      const answer = (await this.socket.timeout(15_000).emitWithAck("sync", { cursors: { ...this.cursors }, limit })) as SyncAck;
      if (!answer.ok) throw new Error(`sync refused: ${answer.error.key}`);
      let again = false;
      for (const conversation of answer.conversations) {
        for (const message of conversation.messages) this.keep("sync", message);
        const last = conversation.messages.at(-1)?.seq;
        const next = conversation.nextCursor ?? last;
        if (next !== undefined && next > (this.cursors[conversation.conversationId] ?? 0)) this.store(conversation.conversationId, next);
        again ||= conversation.hasMore || conversation.inFlight === true;
        if (conversation.inFlight) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      if (!again) return;
    }
    throw new Error("sync did not finish in 200 rounds");
  }

  private keep(via: "live" | "sync", message: DeliveredMessage): void {
    this.arrivals.push({ via, message });
    if (!this.messages.has(message.messageId)) this.messages.set(message.messageId, message);
  }

  private store(conversationId: string, cursor: number): void {
    this.cursors[conversationId] = cursor;
    this.cursorLog.push({ conversationId, cursor, at: Date.now() });
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** A text message for `message:send` to a user, with a fresh messageId. */
export function textTo(userId: number, content: string, messageId: string = crypto.randomUUID()) {
  return { messageId, chatType: 1, to: String(userId), type: 1, content };
}

/** One stored copy, as the checks below read it. */
export interface StoredCopy {
  ownerId: number;
  conversationId: string;
  seq: number;
  messageId: string;
  collection: string;
}

/** Every stored message copy of every shard collection (user and room shards). */
export async function allStoredCopies(stack: TestStack): Promise<StoredCopy[]> {
  const copies: StoredCopy[] = [];
  for (const model of stack.api.deps.messages.shards.all()) {
    const docs = await model.find({}, { ownerId: 1, conversationId: 1, seq: 1, messageId: 1 }).lean();
    for (const doc of docs) {
      copies.push({
        ownerId: doc.ownerId,
        conversationId: doc.conversationId,
        seq: doc.seq,
        messageId: doc.messageId,
        collection: model.collection.name,
      });
    }
  }
  return copies;
}

/** Seqs stored for more than one message: `(ownerId, conversationId, seq)` groups with two or more messageIds. */
export function duplicateSeqs(copies: StoredCopy[]): string[] {
  const groups = new Map<string, Set<string>>();
  for (const copy of copies) {
    const key = `${copy.ownerId}/${copy.conversationId}/${copy.seq}`;
    const set = groups.get(key) ?? new Set<string>();
    set.add(copy.messageId);
    groups.set(key, set);
  }
  return [...groups].filter(([, ids]) => ids.size > 1).map(([key, ids]) => `${key} → ${[...ids].join(", ")}`);
}

/** Copies stored per owner of one message: "ownerId:count" entries, sorted. */
export function copiesOf(copies: StoredCopy[], messageId: string): string[] {
  const counts = new Map<number, number>();
  for (const copy of copies) if (copy.messageId === messageId) counts.set(copy.ownerId, (counts.get(copy.ownerId) ?? 0) + 1);
  return [...counts].map(([owner, n]) => `${owner}:${n}`).sort();
}

/**
 * Messages handed to an app out of seq order within their conversation (a seq not above the previous one
 * of that conversation), as "conversationId: a then b" entries.
 */
export function outOfOrder(messages: DeliveredMessage[]): string[] {
  const last = new Map<string, number>();
  const found: string[] = [];
  for (const message of messages) {
    if (message.seq === 0) continue;
    const previous = last.get(message.conversationId) ?? 0;
    if (message.seq <= previous) found.push(`${message.conversationId}: ${previous} then ${message.seq}`);
    last.set(message.conversationId, message.seq);
  }
  return found;
}

/** Waits until `check` passes, polling every 25 ms; false (not a throw) after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `promise`'s value, or undefined when it has not settled within `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
