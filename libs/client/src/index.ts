/** The media of received messages (`message.media`: upload, kind, size, dimensions, URLs) and what sendMedia takes. */
export type { DeliveredMedia, MediaKind, MediaMessageType } from "@im/protocol";
export { ImClient } from "./im-client.js";
export { type ImClientEvents, type ImClientOptions, ImError } from "./options.js";
export { receiptTimeoutFor } from "./pending-queue.js";
