import {
  type AckResult,
  AppError,
  type ClientToServerEvents,
  type DeliveredMessage,
  type ErrorBody,
  errorBody,
  type MediaMessageType,
  messageType,
  PROTOCOL_VERSION,
  type Receipt,
  type SendMessageInput,
  type ServerToClientEvents,
  type SessionEndReason,
  type SyncCursors,
  type SyncedConversation,
} from "@im/protocol";
import { io, type Socket } from "socket.io-client";
import { Cursors, HeldMessages } from "./cursors.js";
import { type ImClientEvents, type ImClientOptions, ImError } from "./options.js";
import { errorTreatment, PendingQueue, receiptTimeoutFor, retryDelayMs } from "./pending-queue.js";
import { SeenSet } from "./seen-set.js";
import { TypedEmitter } from "./typed-emitter.js";

type ImSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The IM client (the seed's IMClient, section 十): connects with a token, sends with a pending queue that
 * resends until the receipt arrives, reconnects and syncs by itself, and hands each message to the app
 * once, in conversation order.
 */
export class ImClient extends TypedEmitter<ImClientEvents> {
  readonly socket: ImSocket;
  private readonly pending = new PendingQueue();
  private readonly seen = new SeenSet();
  private readonly positions: Cursors;
  private readonly timeouts: { text: number; media: number };
  private readonly maxAttempts: number;
  private readonly syncLimit: number;
  private readonly gapWaitMs: number;
  private readonly inFlightRetryMs: number;
  /** Live messages past a gap, by conversation and seq, until the gap fills (live or by sync). */
  private readonly held = new HeldMessages();
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Incoming messages and syncs are handled one at a time, in arrival order. */
  private inbox: Promise<void> = Promise.resolve();
  private readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  userId: number | undefined;
  /** Connected, authenticated and synced: sends may go out. */
  private ready = false;
  private closed = false;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  /** After a refusal to retry later: no send before this time (epoch ms), and then one at a time (`inOrder`). */
  private holdUntil = 0;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private inOrder = false;

  constructor(options: ImClientOptions) {
    super();
    this.positions = new Cursors(options.cursors);
    this.timeouts = options.receiptTimeouts ?? { text: 15_000, media: 45_000 };
    this.maxAttempts = options.maxAttempts ?? 5;
    this.syncLimit = options.syncLimit ?? 200;
    this.gapWaitMs = options.gapWaitMs ?? 1_000;
    this.inFlightRetryMs = options.inFlightRetryMs ?? 1_000;
    this.socket = io(options.url, {
      autoConnect: false,
      transports: ["websocket"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.5,
      ...options.socket,
      auth: { token: options.token, resource: options.resource ?? "web", language: options.language, protocolVersion: PROTOCOL_VERSION },
    });
    this.socket.on("session:ready", (info) => {
      this.userId = info.userId;
      this.enqueue(async () => {
        // A sync that fails (an overloaded server timing out) must not leave the client unusable: it is
        // retried in the background and the session goes on.
        await this.syncAll().catch(() => this.scheduleResync());
        this.emit("connected", info);
        this.ready = true;
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        for (const item of this.pending.all()) item.inFlight = false; // answers on the old connection are lost
        this.kick();
      });
    });
    this.socket.on("message", (message) => this.enqueue(() => this.receive(message)));
    this.socket.on("session:ended", ({ reason }) => this.endSession(reason));
    this.socket.on("connect_error", (error) => {
      const body = (error as Error & { data?: ErrorBody }).data;
      if (body?.error && (body.error.key === "TOKEN_INVALID" || body.error.key === "TOKEN_MISSING")) {
        // The token is dead (revoked or expired, also while this device was offline): close for good, so
        // pending sends reject instead of waiting for a reconnect that will never be allowed.
        this.close();
        this.emit("loginFailed", body);
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new ImError(body));
      } else if (body?.error && body.error.key !== "SERVICE_UNAVAILABLE" && body.error.key !== "BUSY_RETRY") {
        // Refused for good (VALIDATION_FAILED, PROTOCOL_UNSUPPORTED, ...): Socket.IO does not retry a
        // handshake the server refused, so connect() must fail instead of waiting forever.
        this.socket.disconnect();
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new ImError(body));
      } else if (body?.error && !this.closed) {
        // Refused for now (the gateway cannot reach Redis or MongoDB): try again, as for a lost connection.
        setTimeout(() => !this.closed && !this.socket.connected && this.socket.connect(), 1_000 + Math.round(Math.random() * 1_000));
      }
    });
    this.socket.on("disconnect", (reason) => {
      this.ready = false;
      this.emit("closed", reason);
    });
  }

  /** Connects and resolves once the session is ready and missed messages are synced. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      this.socket.connect();
    });
  }

  close(): void {
    this.closed = true;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.socket.disconnect();
    for (const item of this.pending.all()) {
      this.pending.settle(item.message.messageId);
      item.reject(new Error("client closed"));
    }
  }

  /** The session is over (`session:ended`): never reconnect with this token; tell the app. */
  private endSession(reason: SessionEndReason): void {
    if (this.closed) return;
    this.close();
    const body = errorBody(new AppError("TOKEN_INVALID"), "en");
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new ImError(body));
    this.emit("sessionEnded", reason);
  }

  /** The device's sync positions, to save and pass back as `cursors` next time. */
  cursors(): SyncCursors {
    return this.positions.toObject();
  }

  /**
   * Sends a media message (types 2 image, 3 voice, 5 gif, 6 video, 7 audio, 9 file) carrying an upload: one
   * the upload app returned to this user, or the `media.uploadId` of a message received (forwarding). The
   * recipients get `media` with the URLs to fetch it. Refusals (final): UPLOAD_NOT_FOUND, UPLOAD_NOT_SHAREABLE,
   * UPLOAD_KIND_MISMATCH. Same resend rules as send().
   */
  sendMedia(
    message: Omit<SendMessageInput, "messageId" | "uploadId" | "type"> & { type: MediaMessageType; uploadId: string; messageId?: string },
  ): Promise<Receipt> {
    return this.send(message);
  }

  /** Sends a message; resolves with the receipt once the server stored it (resending as needed). */
  send(message: SendMessageInput | (Omit<SendMessageInput, "messageId"> & { messageId?: string })): Promise<Receipt> {
    // A closed client (close(), or its session ended) never sends again: nothing would ever acknowledge it.
    if (this.closed) return Promise.reject(new Error("client closed"));
    const withId = { ...message, messageId: message.messageId ?? crypto.randomUUID(), timeSend: message.timeSend ?? Date.now() };
    return new Promise<Receipt>((resolve, reject) => {
      this.pending.add({ message: withId, attempts: 0, resolve, reject });
      void this.attempt(withId.messageId);
    });
  }

  private async attempt(messageId: string): Promise<void> {
    const item = this.pending.get(messageId);
    // Until the session is ready (and synced) nothing is sent: after a reconnect the queued messages go out
    // first, in the order they were sent, so new messages never overtake older unacknowledged ones. After a
    // refusal to retry later, nothing is sent until the delay has passed, and then one message at a time,
    // oldest first, until the queue is empty, so retried messages are still stored in the order they were sent.
    if (!item || !this.ready || Date.now() < this.holdUntil) return;
    if (this.inOrder && this.pending.first() !== item) return;
    item.attempts += 1;
    item.inFlight = true;
    const attempt = item.attempts;
    this.emit("sent", messageId, attempt);
    let result: AckResult<{ receipt: Receipt }>;
    try {
      result = await this.socket.timeout(receiptTimeoutFor(item.message.type, this.timeouts)).emitWithAck("message:send", item.message);
    } catch {
      // No receipt in time: resend the same messageId (the server stores it once), unless out of attempts.
      if (this.pending.get(messageId) !== item || item.attempts !== attempt) return;
      item.inFlight = false;
      if (item.attempts >= this.maxAttempts) {
        this.pending.settle(messageId);
        item.reject(new Error(`no receipt for ${messageId} after ${item.attempts} attempts`));
        this.kick();
        return;
      }
      void this.attempt(messageId);
      return;
    }
    if (this.pending.get(messageId) !== item || item.attempts !== attempt) return;
    item.inFlight = false;
    if (!result.ok) {
      // Only the client's own fault is final; a server that asks to wait (rate limit, a dependency down,
      // contention) is retried after retryAfterSeconds for as long as it takes, a server error up to maxAttempts.
      const treatment = errorTreatment(result.error.key);
      if (treatment === "final" || (treatment === "server" && item.attempts >= this.maxAttempts)) {
        this.pending.settle(messageId);
        item.reject(new ImError(result));
        this.kick();
        return;
      }
      item.retries = (item.retries ?? 0) + 1;
      this.holdBack(retryDelayMs(result.error, item.retries));
      return;
    }
    this.pending.settle(messageId);
    this.seen.add(messageId);
    // A read receipt is stored under an id the server derives (one per reader and message): seen too.
    this.seen.add(result.receipt.messageId);
    // The device has its own message; the cursor moves past it only if nothing before it is still missing.
    if (result.receipt.seq > 0) this.positions.advance(result.receipt.conversationId, result.receipt.seq, true);
    this.emit("receipt", result.receipt);
    item.resolve(result.receipt);
    if (this.inOrder) this.kick();
  }

  /** Sends nothing for `delayMs`, then resends the queue one message at a time, oldest first. */
  private holdBack(delayMs: number): void {
    this.inOrder = true;
    this.holdUntil = Math.max(this.holdUntil, Date.now() + delayMs);
    this.armHoldTimer();
  }

  /** Kicks the queue when the hold ends (timers may fire a little early: kick re-arms it then). */
  private armHoldTimer(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(
      () => {
        this.holdTimer = undefined;
        this.kick();
      },
      Math.max(1, this.holdUntil - Date.now()),
    );
  }

  /** Sends what may go out now: every waiting message, or after a refusal only the oldest (see attempt). */
  private kick(): void {
    if (!this.ready || this.closed) return;
    if (Date.now() < this.holdUntil) {
      this.armHoldTimer();
      return;
    }
    const items = this.pending.all();
    if (items.length === 0) {
      this.inOrder = false;
      return;
    }
    for (const item of this.inOrder ? items.slice(0, 1) : items) {
      if (!item.inFlight) void this.attempt(item.message.messageId);
    }
  }

  private enqueue(work: () => Promise<void>): void {
    this.inbox = this.inbox.then(work).catch(() => {
      // A failed sync is retried on the next gap or reconnect.
    });
  }

  /** Hands a message to the app once; `gapOpen` keeps the cursor from passing a gap not yet synced. */
  private deliver(message: DeliveredMessage, gapOpen = false): void {
    if (message.seq > 0) this.positions.advance(message.conversationId, message.seq, gapOpen);
    if (this.seen.has(message.messageId)) return;
    this.seen.add(message.messageId);
    this.emit("message", message);
    if (message.objectId && message.type === messageType.recall) this.emit("recalled", message.objectId, message);
    if (message.objectId && message.type === messageType.readReceipt) this.emit("read", message.objectId, message);
  }

  /**
   * A live message: in order it is delivered at once (with any held messages it makes contiguous); after a
   * gap it is held for `gapWaitMs` while the missing messages may still arrive live, then the gap is synced.
   */
  private async receive(message: DeliveredMessage): Promise<void> {
    if (message.seq === 0) {
      this.emit("message", message); // typing and other relayed-only events
      return;
    }
    const current = this.positions.get(message.conversationId);
    if (message.seq > current + 1 && !this.seen.has(message.messageId)) {
      if (this.gapWaitMs > 0) {
        this.hold(message);
        return;
      }
      if (await this.syncGap()) this.deliver(message);
      else this.held.add(message);
      return;
    }
    this.deliver(message);
    this.release(message.conversationId);
  }

  private hold(message: DeliveredMessage): void {
    this.held.add(message);
    this.armGapTimer();
  }

  private armGapTimer(): void {
    if (this.gapTimer || this.closed) return;
    this.gapTimer = setTimeout(
      () => {
        this.gapTimer = undefined;
        this.enqueue(async () => {
          if (!this.held.isEmpty) await this.syncGap();
        });
      },
      Math.round(this.gapWaitMs * (1 + Math.random() * 0.5)),
    );
  }

  /** Delivers the held messages of a conversation that now follow its cursor, in seq order. */
  private release(conversationId: string): void {
    for (;;) {
      const cursor = this.positions.get(conversationId);
      // Normally synced meanwhile (then dropped as seen by deliver).
      for (const covered of this.held.takeCovered(conversationId, cursor)) this.deliver(covered);
      const next = this.held.take(conversationId, cursor + 1);
      if (!next) break;
      this.deliver(next);
    }
  }

  /**
   * Syncs a gap the live stream did not fill. If the sync fails (a gateway restarting, the store down) the
   * messages past the gap stay held — never handed to the app before the messages they follow — and the
   * sync is retried with backoff (scheduleResync, and every reconnect syncs); it releases them in order.
   * Returns whether the sync succeeded.
   */
  private async syncGap(): Promise<boolean> {
    try {
      await this.syncAll();
      return true;
    } catch {
      this.scheduleResync();
      return false;
    }
  }

  /** Retries a failed sync with backoff (1 s doubling to 30 s) until one succeeds or the client closes. */
  private scheduleResync(delayMs = 1_000): void {
    if (this.resyncTimer || this.closed) return;
    // Jittered (0.5–1.5×), so clients refused together (BUSY_RETRY in a reconnect storm) do not come back together.
    const jittered = Math.round(delayMs * (0.5 + Math.random()));
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (!this.socket.connected) return; // the next connect syncs anyway
      this.enqueue(() => this.syncAll().catch(() => this.scheduleResync(Math.min(delayMs * 2, 30_000))));
    }, jittered);
  }

  /** Pulls everything missed, conversation by conversation, until nothing more is pending. */
  private async syncAll(): Promise<void> {
    let refusals = 0;
    for (let round = 0; round < 10_000; round++) {
      const result = await this.socket.timeout(30_000).emitWithAck("sync", { cursors: this.cursors(), limit: this.syncLimit });
      if (!result.ok) {
        // Asked to wait (rate limited, busy, a dependency down): wait as told, a few times, then give up to
        // the caller's backoff (scheduleResync).
        if (errorTreatment(result.error.key) !== "wait" || refusals >= 5 || this.closed) throw new ImError(result);
        refusals += 1;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(result.error, refusals)));
        round -= 1;
        continue;
      }
      let more = false;
      let inFlight = false;
      for (const conversation of result.conversations as SyncedConversation[]) {
        for (const message of conversation.messages) this.deliver(message);
        // The server's nextCursor covers tombstones and permanent gaps (never a seq still in flight): any
        // gap up to it is closed for good. Servers before it sent none: the last message moved the cursor.
        if (typeof conversation.nextCursor === "number")
          this.positions.advance(conversation.conversationId, conversation.nextCursor, false);
        more ||= conversation.hasMore;
        inFlight ||= conversation.inFlight === true;
      }
      // A conversation stopped below a seq still being written: look again shortly (its message is
      // normally stored within milliseconds; a dead writer's seq is resolved within the server's lease).
      if (inFlight && !more) this.scheduleResync(this.inFlightRetryMs);
      if (!more) break;
    }
    // Held messages the sync covered are dropped; any past a gap still open wait for the next sync.
    for (const conversationId of this.held.conversations()) this.release(conversationId);
    if (!this.held.isEmpty) this.armGapTimer();
  }
}
