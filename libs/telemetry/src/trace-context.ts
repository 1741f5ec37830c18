import { context, propagation, ROOT_CONTEXT, type Span, type SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

type Attributes = Record<string, string | number | boolean>;

/**
 * The W3C `traceparent` of the active span, for carrying a trace across a hop OpenTelemetry does not
 * instrument (a message broadcast through the Socket.IO Redis adapter). Undefined when tracing is off.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Runs `fn` in a new active span (so instrumented Redis and MongoDB calls become its children). */
export async function inSpan<T>(
  tracerName: string,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer(tracerName).startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Records an instantaneous span whose parent is the remote span named by `traceparent` (the sender's span
 * on another process), so the delivery shows up in the sender's trace. Does nothing without a traceparent.
 */
export function recordRemoteChildSpan(
  tracerName: string,
  name: string,
  traceparent: string | undefined,
  kind: SpanKind,
  attributes: Attributes,
): void {
  if (!traceparent) return;
  const parent = propagation.extract(ROOT_CONTEXT, { traceparent });
  trace.getTracer(tracerName).startSpan(name, { kind, attributes }, parent).end();
}
