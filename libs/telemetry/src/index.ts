export { createLogger, type Logger, type LoggerSettings } from "./logger.js";
export { createHttpDurationHistogram, createMetricsRegistry, type Registry } from "./metrics.js";
export { startTracing, type Tracing, type TracingSettings } from "./tracing.js";
