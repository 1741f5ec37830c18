import type { Models } from "@im/data";
import type { Redis } from "@im/infra";
import type { ObjectStorage } from "@im/media";
import type { MessageStore, Publisher } from "@im/messaging";
import type { Logger, Registry } from "@im/telemetry";
import type { Connection } from "mongoose";
import type { UploadConfig } from "./config.js";
import type { UploadMetrics } from "./metrics.js";

/** What every route handler of the upload app may use: built once at start-up, shared by all requests. */
export interface UploadDeps {
  config: UploadConfig;
  logger: Logger;
  redis: Redis;
  mongo: Connection;
  models: Models;
  registry: Registry;
  metrics: UploadMetrics;
  storage: ObjectStorage;
  /** The sharded message store: the access rule reads recipients' copies of messages carrying an upload. */
  messages: MessageStore;
  /** Emits to users' sockets through the gateways' Redis adapter (room notices). */
  publisher: Publisher;
}
