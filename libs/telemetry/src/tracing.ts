import { register } from "node:module";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { ExpressInstrumentation } from "@opentelemetry/instrumentation-express";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { MongoDBInstrumentation } from "@opentelemetry/instrumentation-mongodb";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export interface TracingSettings {
  serviceName: string;
  serviceVersion?: string;
  /** OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces; tracing exports nothing when unset. */
  otlpEndpoint?: string | undefined;
  /** Extra span processors (tests pass a SimpleSpanProcessor over an InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  shutdown(): Promise<void>;
}

let hookRegistered = false;

/**
 * Starts the OpenTelemetry Node SDK with HTTP, Express, ioredis and MongoDB instrumentation.
 * Call it before the instrumented packages are imported (the app entry imports the server lazily).
 * With no exporter and no processor configured it starts nothing and costs nothing.
 */
export function startTracing(settings: TracingSettings): Tracing {
  const processors = [...(settings.spanProcessors ?? [])];
  if (settings.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.otlpEndpoint })));
  if (processors.length === 0) return { shutdown: async () => {} };

  if (!hookRegistered) {
    // Lets the instrumentations patch packages loaded through ES module imports as well as require().
    register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
    hookRegistered = true;
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      ...(settings.serviceVersion ? { [ATTR_SERVICE_VERSION]: settings.serviceVersion } : {}),
    }),
    spanProcessors: processors,
    instrumentations: [
      new HttpInstrumentation(),
      new ExpressInstrumentation(),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new MongoDBInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
