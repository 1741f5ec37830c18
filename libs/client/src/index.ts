export { ImClient, type ImClientEvents, type ImClientOptions, ImError } from "./im-client.js";
export { receiptTimeoutFor } from "./pending-queue.js";
