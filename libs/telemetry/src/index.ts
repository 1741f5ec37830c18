export { SpanKind } from "@opentelemetry/api";
export { createMongoCommandMetrics, mongoCommandLabel } from "./data-store-metrics.js";
export { createLogger, type Logger, type LoggerSettings } from "./logger.js";
export { Counter, createHttpDurationHistogram, createMetricsRegistry, Gauge, Histogram, type Registry } from "./metrics.js";
export { currentTraceparent, inSpan, recordRemoteChildSpan } from "./trace-context.js";
export { startTracing, type Tracing, type TracingSettings } from "./tracing.js";
