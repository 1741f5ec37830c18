import { AppError, isClientSendable, type SendMessage } from "@im/protocol";

/**
 * Refuses a client's send of a type only the platform creates (origin `server` in the protocol's message
 * type registry: tips, red packets, moments, group-file, friend, room and live-room notices).
 * @throws AppError MESSAGE_TYPE_NOT_ALLOWED (403).
 */
export function checkClientOrigin(message: Pick<SendMessage, "type">): void {
  if (!isClientSendable(message.type)) {
    throw new AppError("MESSAGE_TYPE_NOT_ALLOWED", { issues: [{ field: "type", message: "this type is sent by the platform only" }] });
  }
}
