import { userRoom } from "@im/messaging";
import { type AckResult, AppError, PROTOCOL_VERSION, pickLanguage } from "@im/protocol";
import { inSpan, SpanKind } from "@im/telemetry";
import { failure, safeAck, toErrorBody } from "./ack.js";
import type { GatewayDeps, ImSocket } from "./context.js";
import { sendMessage } from "./handlers/send-message.js";
import { sync } from "./handlers/sync.js";
import type { Presence } from "./presence.js";
import { type EventKind, eventKind, SocketRateLimits } from "./rate-limits.js";
import { sessionHasEnded } from "./session-end.js";

/** How long a RATE_LIMITED answer is held back, and how many at once per socket (more are answered at once). */
const RATE_LIMITED_REPLY_DELAY_MS = 250;
const MAX_DELAYED_REPLIES = 64;

/**
 * Wires one authenticated socket: joins its user room, records presence, and serves its events. A
 * socket's events run one after another, so one device's messages are stored in the order it sent them.
 */
export function onConnection(deps: GatewayDeps, presence: Presence) {
  const rateLimits = new SocketRateLimits(deps.config, deps.redis);
  return async (socket: ImSocket) => {
    const { userId, resource } = socket.data;
    const language = pickLanguage(
      typeof socket.handshake.auth?.language === "string" ? socket.handshake.auth.language : socket.handshake.headers["accept-language"],
    );
    const logger = deps.logger.child({ userId, socketId: socket.id, resource });
    let queue: Promise<unknown> = Promise.resolve();
    /**
     * After a send of this socket is refused "retry later", the socket's sends are refused alike until that
     * delay has passed: those already on their way were sent before the client learnt of the refusal, and
     * storing them would put them before the refused one (a device's messages are stored in sending order).
     */
    let sendsHeld: { until: number; error: AppError; after: number } | undefined;
    let delayedReplies = 0;
    /** Events in order of arrival: only sends that arrived AFTER a refused one are held back with it. */
    let arrivals = 0;
    const held = (kind: EventKind, arrival: number): AppError | undefined => {
      if (!sendsHeld || (kind !== "send" && kind !== "receipt") || arrival <= sendsHeld.after) return undefined;
      const waitMs = sendsHeld.until - Date.now();
      if (waitMs <= 0) return undefined;
      return new AppError(sendsHeld.error.key, { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
    };
    /**
     * Serves one event: the socket's budget is checked at once (refused events never wait in the queue),
     * then, in the socket's queue, the user's budget and the handler; anything thrown becomes the catalogue's
     * error body (retryable for rate limits and unavailable dependencies, see ack.ts).
     */
    const serve = <T>(
      name: "message:send" | "sync",
      payload: unknown,
      ack: unknown,
      handler: (payload: unknown) => Promise<AckResult<T>>,
      onRefused?: (key: string) => void,
      extraCost?: (result: AckResult<T>) => number,
    ) => {
      const reply = safeAck<T>(ack);
      const kind = eventKind(name, payload);
      arrivals += 1;
      const arrival = arrivals;
      const refuse = (error: unknown, tier?: "socket" | "user" | "held") => {
        const body = toErrorBody(error, language, logger);
        if (tier && body.error.key === "RATE_LIMITED") deps.metrics.rateLimited.inc({ kind, tier });
        const retryAfterSeconds = body.error.retryAfterSeconds;
        if ((kind === "send" || kind === "receipt") && retryAfterSeconds !== undefined && tier !== "held") {
          const until = Date.now() + retryAfterSeconds * 1000;
          // Sends that arrived before this one were sent before the client could know of the refusal and
          // are served as usual (found by black-box testing: a burst of 31 stored only 1).
          const error = new AppError(body.error.key);
          if (!sendsHeld || sendsHeld.until <= Date.now()) sendsHeld = { until, error, after: arrival };
          else {
            sendsHeld = {
              until: Math.max(sendsHeld.until, until),
              error: sendsHeld.until < until ? error : sendsHeld.error,
              after: Math.min(sendsHeld.after, arrival),
            };
          }
        }
        onRefused?.(body.error.key);
        // A client that loops on RATE_LIMITED answers without waiting would make the refusals themselves
        // the load: they are answered after RATE_LIMITED_REPLY_DELAY_MS (a few at a time per socket).
        if (body.error.key === "RATE_LIMITED" && delayedReplies < MAX_DELAYED_REPLIES) {
          delayedReplies += 1;
          setTimeout(() => {
            delayedReplies -= 1;
            reply(failure(body));
          }, RATE_LIMITED_REPLY_DELAY_MS);
          return;
        }
        reply(failure(body));
      };
      const run = async () => {
        // An event queued before its session ended (logout, revocation, ...) is refused, never served.
        if (sessionHasEnded(socket)) {
          refuse(new AppError("TOKEN_INVALID"));
          return;
        }
        let expected = 0;
        const hold = held(kind, arrival);
        if (hold) {
          refuse(hold, "held");
          return;
        }
        try {
          if (extraCost) expected = await rateLimits.checkUserCostly(kind, userId);
          else await rateLimits.checkUser(kind, userId);
        } catch (error) {
          refuse(error, "user");
          return;
        }
        try {
          // One span per event: its Redis and MongoDB calls are children, and a delivered message carries
          // its context to the recipients' gateways (see adapter.ts).
          const attributes = {
            "messaging.system": "socket.io",
            "messaging.operation.name": name,
            "im.user_id": userId,
            "im.resource": resource,
          };
          const result = await inSpan("@im/gateway", `socket.io ${name}`, { kind: SpanKind.SERVER, attributes }, () => handler(payload));
          reply(result);
          if (extraCost) {
            await rateLimits
              .settleCost(kind, userId, expected, extraCost(result))
              .catch((error) => logger.debug({ err: error }, "rate charge failed"));
          }
        } catch (error) {
          refuse(error);
        }
      };
      const hold = held(kind, arrival);
      if (hold) {
        refuse(hold, "held");
        return;
      }
      rateLimits.checkSocket(kind, socket.id).then(
        () => {
          queue = queue.then(run);
        },
        (error: unknown) => refuse(error, "socket"),
      );
    };
    socket.on("message:send", (payload, ack) =>
      serve(
        "message:send",
        payload,
        ack,
        (message) => sendMessage(deps, socket, message),
        (reason) => deps.metrics.messagesRejected.inc({ reason }),
      ),
    );
    // A sync costs 1 plus the conversations it read (charged up front as much as the user's last sync read):
    // GATEWAY_RATE_SYNC_PER_USER bounds the reads, not the calls.
    socket.on("sync", (payload, ack) =>
      serve(
        "sync",
        payload,
        ack,
        (request) => sync(deps, socket, request),
        undefined,
        (result) => (result.ok ? result.conversations.length : 0),
      ),
    );

    deps.metrics.connectionsOpened.inc({ resource });
    socket.on("disconnect", (reason) => {
      deps.metrics.connectionsClosed.inc({ reason });
      logger.debug({ reason }, "disconnected");
      presence.offline(userId, socket.id, resource).catch((error) => logger.warn({ err: error }, "presence offline failed"));
    });
    await socket.join(userRoom(userId));
    await presence.online(userId, socket.id, resource).catch((error) => logger.warn({ err: error }, "presence online failed"));
    socket.emit("session:ready", { userId, resource, serverTime: Date.now(), protocolVersion: PROTOCOL_VERSION });
    logger.debug("connected");
  };
}
