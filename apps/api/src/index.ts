export { buildOpenApi } from "@im/http";
export { API_VERSION, createApp } from "./app.js";
export { type ApiConfig, apiConfigSchema, defaultPublicRoutes, loadApiConfig } from "./config.js";
export type { ApiDeps } from "./context.js";
export { countRelations, recountUser } from "./features/friends/counts.js";
export type { SmsMessage, SmsProvider } from "./features/sms/provider.js";
export { disableUser } from "./features/users/disable.js";
export { allRoutes } from "./routes.js";
export { type RunningApi, type StartOptions, startApi } from "./server.js";
