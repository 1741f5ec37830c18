export { errorHandler, hasBody, jsonOnly, methodNotAllowed, notFound, toAppError } from "./error-handler.js";
export { healthRoutes, READINESS_CHECK_TIMEOUT_MS } from "./health-routes.js";
export { httpMetrics } from "./http-metrics.js";
export { buildOpenApi, routeErrors } from "./openapi.js";
export { openRoutes, type RegisterOptions, readToken, registerRoutes } from "./register-routes.js";
export { requestContext } from "./request-context.js";
export {
  type AnyRouteSpec,
  type AuthInfo,
  type HandlerInput,
  type HttpMethod,
  type RequestInfo,
  type RouteAuth,
  type RouteResponse,
  type RouteSpec,
  routeDefiner,
  routeKey,
  type StreamInput,
} from "./route.js";
export { parseInput } from "./validate.js";
