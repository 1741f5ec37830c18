import type { Models } from "@im/data";
import type { Redis } from "@im/infra";
import type { MessageStore, Publisher } from "@im/messaging";
import type { Logger, Registry } from "@im/telemetry";
import type { Connection } from "mongoose";
import type { ApiConfig } from "./config.js";
import type { SmsProvider } from "./features/sms/provider.js";

/** What every route handler may use: built once at start-up, shared by all requests. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  redis: Redis;
  mongo: Connection;
  models: Models;
  metrics: Registry;
  sms: SmsProvider;
  /** The sharded message store, for messages the platform itself sends (system notices). */
  messages: MessageStore;
  /** Emits to users' sockets through the gateways' Redis adapter. */
  publisher: Publisher;
}
