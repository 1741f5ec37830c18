export { type GatewayConfig, gatewayConfigSchema, loadGatewayConfig } from "./config.js";
export type { GatewayDeps, ImServer, ImSocket, SocketData } from "./context.js";
export { Presence, PresenceWriter } from "./presence.js";
export { type RunningGateway, startGateway } from "./server.js";
