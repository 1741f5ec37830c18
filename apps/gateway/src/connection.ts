import { userRoom } from "@im/messaging";
import { type AckResult, AppError, PROTOCOL_VERSION, pickLanguage } from "@im/protocol";
import { inSpan, SpanKind } from "@im/telemetry";
import { failure, safeAck, toErrorBody } from "./ack.js";
import type { GatewayDeps, ImSocket } from "./context.js";
import { sendMessage } from "./handlers/send-message.js";
import { sync } from "./handlers/sync.js";
import type { Presence } from "./presence.js";
import { sessionHasEnded } from "./session-end.js";

/**
 * Wires one authenticated socket: joins its user room, records presence, and serves its events. A
 * socket's events run one after another, so one device's messages are stored in the order it sent them.
 */
export function onConnection(deps: GatewayDeps, presence: Presence) {
  return async (socket: ImSocket) => {
    const { userId, resource } = socket.data;
    const language = pickLanguage(
      typeof socket.handshake.auth?.language === "string" ? socket.handshake.auth.language : socket.handshake.headers["accept-language"],
    );
    const logger = deps.logger.child({ userId, socketId: socket.id, resource });
    let queue: Promise<unknown> = Promise.resolve();
    const serve = <T>(name: string, handler: (payload: unknown) => Promise<AckResult<T>>, onRefused?: (key: string) => void) => {
      socket.on(name as "sync", (payload: unknown, ack: unknown) => {
        const reply = safeAck<T>(ack);
        queue = queue.then(async () => {
          try {
            if (sessionHasEnded(socket)) throw new AppError("TOKEN_INVALID");
            // One span per event: its Redis and MongoDB calls are children, and a delivered message carries
            // its context to the recipients' gateways (see adapter.ts).
            const attributes = {
              "messaging.system": "socket.io",
              "messaging.operation.name": name,
              "im.user_id": userId,
              "im.resource": resource,
            };
            reply(await inSpan("@im/gateway", `socket.io ${name}`, { kind: SpanKind.SERVER, attributes }, () => handler(payload)));
          } catch (error) {
            const body = toErrorBody(error, language, logger);
            onRefused?.(body.error.key);
            reply(failure(body));
          }
        });
      });
    };
    serve(
      "message:send",
      (payload) => sendMessage(deps, socket, payload),
      (reason) => deps.metrics.messagesRejected.inc({ reason }),
    );
    serve("sync", (payload) => sync(deps, socket, payload));

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
