export { ImClient } from "./im-client.js";
export { type ImClientEvents, type ImClientOptions, ImError } from "./options.js";
export { receiptTimeoutFor } from "./pending-queue.js";
