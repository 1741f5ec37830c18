import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTracing, type Tracing } from "@im/telemetry";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

// The API runs in this process: its tracing must start before Express, ioredis and the MongoDB driver load.
const apiSpans = new InMemorySpanExporter();
const tracing: Tracing = startTracing({ serviceName: "im-api-test", spanProcessors: [new SimpleSpanProcessor(apiSpans)] });
const { messageType } = await import("@im/protocol");
const { startOtlpReceiver } = await import("../support/otlp-receiver.js");
const { collect, connectClient, eventually, gateway, startRealtime } = await import("../support/realtime.js");
const { Rooms } = await import("../support/rooms.js");

// SpanKind in the OpenTelemetry API (in-process spans) and in OTLP (exported spans) differ by one.
const API_SERVER = 1;
const OTLP_SERVER = 2;
const OTLP_CONSUMER = 5;

describe("trace context from the sender to the recipient's gateway", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let world: Awaited<ReturnType<typeof startRealtime>>;
  before(async () => {
    receiver = await startOtlpReceiver();
    // The gateways are OS processes exporting over OTLP/HTTP to the receiver, batching for at most 100 ms.
    world = await startRealtime(2, {
      API_SMS_REQUIRED: "false",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  });
  after(async () => {
    await world.stop();
    await receiver.stop();
    await tracing.shutdown();
  });

  it("links a 1:1 send on one gateway, its storage and its delivery on the other gateway in one trace", async () => {
    const rooms = new Rooms(world.stack, world.api);
    const [alice, bob] = await rooms.users(2);
    const a = await connectClient(world, alice, gateway(world, 0));
    const b = await connectClient(world, bob, gateway(world, 1));
    const inbox = collect(b);
    const receipt = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "traced" });
    await eventually("bob got it", () => inbox.some((m) => m.messageId === receipt.messageId));
    const delivered = inbox.find((m) => m.messageId === receipt.messageId);
    assert.match(delivered?.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, "the delivery carries W3C trace context");

    let deliver: (typeof receiver.spans)[number] | undefined;
    await eventually("bob's gateway exported the delivery span", () => {
      deliver = receiver.spans.find((s) => s.name === "im.message.deliver" && s.attributes["messaging.message.id"] === receipt.messageId);
      return deliver !== undefined;
    });
    assert.ok(deliver);
    assert.equal(deliver.service, "im-gateway");
    assert.equal(deliver.kind, OTLP_CONSUMER);
    assert.equal(deliver.attributes["im.gateway_id"], "gw2");
    // The send span ends after the ack, so it may be exported in a later batch than the delivery.
    await eventually("the sender's gateway exported the send span", () => receiver.spans.some((s) => s.spanId === deliver?.parentSpanId));
    const send = receiver.spans.find((s) => s.spanId === deliver?.parentSpanId);
    assert.ok(send, "the delivery's parent span was exported by the sender's gateway");
    assert.equal(send.name, "socket.io message:send");
    assert.equal(send.kind, OTLP_SERVER);
    assert.equal(send.traceId, deliver.traceId);
    assert.equal(send.attributes["im.user_id"], alice.userId);
    assert.equal(delivered?.traceparent?.split("-")[1], send.traceId);
    await eventually("the send's MongoDB inserts (both copies) and its Redis sequence as child spans", () => {
      const children = receiver.spans.filter((s) => s.traceId === send.traceId && s.parentSpanId === send.spanId);
      const system = (s: (typeof children)[number]) => s.attributes["db.system.name"] ?? s.attributes["db.system"];
      const inserts = children.filter((s) => system(s) === "mongodb" && s.name.startsWith("insert msgs_u_"));
      // The seq is handed out by one Lua script (INCR and the in-flight record together).
      return inserts.length === 2 && children.some((s) => system(s) === "redis" && s.name === "eval");
    });
  });

  it("links an HTTP request that sends a system notice to its delivery on the recipient's gateway", async () => {
    const rooms = new Rooms(world.stack, world.api);
    const [alice, bob] = await rooms.users(2);
    const b = await connectClient(world, bob, gateway(world, 1));
    const inbox = collect(b);
    apiSpans.reset();
    await rooms.befriend(alice, bob);
    await eventually("bob got the friend notice", () => inbox.length > 0);
    const notice = inbox[0];
    assert.ok(notice?.traceparent, "the notice carries trace context");
    const traceId = notice.traceparent.split("-")[1];
    const http = apiSpans.getFinishedSpans().find((s) => s.kind === API_SERVER && s.attributes["http.route"] === "/v1/friends/:userId");
    assert.ok(
      http,
      `the API's request span; got ${apiSpans
        .getFinishedSpans()
        .map((s) => s.name)
        .join(", ")}`,
    );
    assert.equal(http.spanContext().traceId, traceId, "the notice was sent inside the HTTP request's trace");
    await eventually("bob's gateway exported the notice's delivery span in that trace", () =>
      receiver.spans.some(
        (s) => s.name === "im.message.deliver" && s.traceId === traceId && s.attributes["messaging.message.id"] === notice.messageId,
      ),
    );
  });
});
