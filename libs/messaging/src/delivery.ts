import type { DeliveredMessage, ServerToClientEvents } from "@im/protocol";
import { currentTraceparent } from "@im/telemetry";

/** The Socket.IO room every socket of a user joins. */
export const userRoom = (userId: number) => `u:${userId}`;

/** The part of a Socket.IO server used to deliver: works on a gateway and on an emit-only server alike. */
export interface Broadcaster {
  to(room: string | string[]): {
    except(room: string | string[]): {
      emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): boolean;
    };
    emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): boolean;
  };
}

/**
 * The message as emitted live: with the W3C trace context of the active span (the socket event or HTTP
 * request that sent it) when tracing is on, so the trace continues on the recipients' gateways.
 */
export function withTraceContext(message: DeliveredMessage): DeliveredMessage {
  const traceparent = currentTraceparent();
  return traceparent ? { ...message, traceparent } : message;
}

/**
 * Sends a stored message to every online device of the recipients, and to the sender's other devices
 * (multi-device sync), through the Redis adapter: whichever gateway holds the sockets delivers.
 */
export function deliverMessage(io: Broadcaster, message: DeliveredMessage, recipients: number[], senderSocketId?: string): void {
  const rooms = [...new Set([...recipients, message.fromUserId])].map(userRoom);
  const payload = withTraceContext(message);
  if (senderSocketId) io.to(rooms).except(senderSocketId).emit("message", payload);
  else io.to(rooms).emit("message", payload);
}
