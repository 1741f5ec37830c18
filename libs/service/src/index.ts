export { type HealthHandler, type HealthOptions, healthHandler } from "./health.js";
export { closeHttpServer, type HealthServer, type Listening, listen, startHealthServer } from "./http.js";
export { Readiness } from "./readiness.js";
export { EXIT_CONFIG, type RunEnvironment, type RunningService, runService, type ServiceDefinition } from "./run-service.js";
export { orderedClose, type ShutdownStep } from "./shutdown.js";
