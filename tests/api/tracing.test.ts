import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTracing, type Tracing } from "@im/telemetry";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

// Tracing must start before Express, ioredis and the MongoDB driver are loaded, so the stack is imported late.
const exporter = new InMemorySpanExporter();
const tracing: Tracing = startTracing({ serviceName: "im-api-test", spanProcessors: [new SimpleSpanProcessor(exporter)] });
const { startStack } = await import("../support/stack.js");
const { ApiClient } = await import("../support/client.js");
const { registerUser } = await import("../support/users.js");

describe("OpenTelemetry tracing", () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.stop();
    await tracing.shutdown();
  });

  it("gives a request a server span with child spans for its Redis and MongoDB calls", async () => {
    const client = new ApiClient(stack.api.url);
    const user = await registerUser(stack, client);
    exporter.reset();
    const reply = await client.call("GET", "/v1/users/me", { token: user.token, headers: { "x-request-id": "trace-me" } });
    assert.equal(reply.status, 200);

    const spans = exporter.getFinishedSpans();
    const server = spans.find((span) => span.kind === 1 && span.attributes["http.route"] === "/v1/users/me");
    assert.ok(server, `no server span for the route; spans: ${spans.map((s) => s.name).join(", ")}`);
    const traceId = server.spanContext().traceId;
    const inTrace = spans.filter((span) => span.spanContext().traceId === traceId);
    const redis = inTrace.filter((span) => span.instrumentationScope.name.includes("ioredis"));
    const mongo = inTrace.filter((span) => span.instrumentationScope.name.includes("mongodb"));
    assert.ok(redis.length > 0, `no Redis span in the trace: ${inTrace.map((s) => s.name).join(", ")}`);
    assert.ok(mongo.length > 0, `no MongoDB span in the trace: ${inTrace.map((s) => s.name).join(", ")}`);
    for (const span of [...redis, ...mongo]) assert.notEqual(span.parentSpanContext?.spanId, undefined, `${span.name} has no parent`);
  });
});
