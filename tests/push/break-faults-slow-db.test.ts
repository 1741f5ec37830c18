import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { readBadge } from "@im/push";
import { createPushMetrics, type RunningPush, type SendEntry, type SenderDeps, sendOne } from "@im/push-app";
import { createLogger, createMetricsRegistry } from "@im/telemetry";
import { TcpProxy } from "@im/testing";
import {
  drained,
  eventsAdded,
  type ProviderFakes,
  RecordingProvider,
  registerDevice,
  startProviderFakes,
  startPushApp,
} from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

/**
 * A push worker whose FerretDB connection stalls (TcpProxy holding its read of the push log, which a second
 * attempt makes before sending) while another worker runs normally (break-faults): the stalled worker's lease
 * runs out, the other takes the entry over and sends; the stalled one must not send the same notification again
 * when its read comes back.
 */
describe("a push worker with a stalled FerretDB (break-faults)", () => {
  let fakes: ProviderFakes;
  let world: RealtimeWorld;
  let proxy: TcpProxy;
  const running: RunningPush[] = [];
  // lease = timeout × (retries + 1) + 8 s × retries + 1 s = 2 s
  const env = () => ({ ...fakes.env, PUSH_CLAIM_IDLE_MS: "500", PUSH_PROVIDER_RETRIES: "0", PUSH_PROVIDER_TIMEOUT_MS: "1000" });
  before(async () => {
    fakes = await startProviderFakes();
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
    proxy = await TcpProxy.start({ targetPort: world.stack.mongo.port, protocol: "mongodb" });
  });
  after(async () => {
    for (const push of running) await push.close();
    await proxy?.stop();
    await world?.stop();
    await fakes?.stop();
  });

  it("a second attempt stalled on its push log read, overtaken by another worker, does not send again", async () => {
    const redis = world.stack.api.deps.redis;
    const dbPath = new URL(world.stack.config.MONGO_URL).pathname;
    const stalled = await startPushApp(world.stack, { ...env(), PUSH_CONSUMER: "stalled", MONGO_URL: proxy.url("mongodb", dbPath) });
    running.push(stalled);
    await drained(redis, await eventsAdded(redis));
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    // The first attempt is throttled; the second (the stalled worker again, once the Retry-After passed) first
    // looks for an earlier answer in the push log, and that read is held 3.5 s (the lease is 2 s).
    fakes.fcm.script.forToken(phone, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 1 });
    const fault = proxy.onCommand({ command: "find", collection: /^push_log$/, action: { holdMs: 3_500 }, times: 1 });
    const a = await connectClient(world, alice, gateway(world, 0));
    const { messageId } = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "once" });
    const toPhone = () => fakes.fcm.requests.filter((r) => r.deviceToken === phone);
    const deadline = Date.now() + 15_000;
    while (toPhone().length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    fakes.fcm.script.clear();
    while (fault.hits < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fault.hits, 1, "the second attempt's push log read is held");
    running.push(await startPushApp(world.stack, { ...env(), PUSH_CONSUMER: "healthy" }));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await drained(redis, 0, 20_000);
    assert.deepEqual(
      toPhone().map((r) => r.status),
      [429, 200],
      "the throttled request, then one accepted: the stalled worker did not send after its lease ran out",
    );
    const log = await world.stack.api.deps.models.pushLog.find({ messageId }).lean();
    assert.deepEqual(
      log.map((record) => record.outcome),
      ["sent"],
    );
  });

  it("FerretDB cut while planning and while writing the push log: one request, one record, badge counted once", async () => {
    const redis = world.stack.api.deps.redis;
    for (const push of running.splice(0)) await push.close();
    const dbPath = new URL(world.stack.config.MONGO_URL).pathname;
    running.push(await startPushApp(world.stack, { ...env(), PUSH_CONSUMER: "cut", MONGO_URL: proxy.url("mongodb", dbPath) }));
    await drained(redis, await eventsAdded(redis));
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    const planCut = proxy.onCommand({ command: "find", collection: /^conversation_mutes$/, action: "cut" });
    const logCut = proxy.onCommand({ command: "insert", collection: /^push_log$/, action: "cut-before-reply" });
    const a = await connectClient(world, alice, gateway(world, 0));
    const before = await eventsAdded(redis);
    const { messageId } = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "cut twice" });
    // The receipt can arrive before the gateway's (not awaited) append: wait for the event itself.
    await drained(redis, before + 1, 30_000);
    assert.equal(planCut.hits, 1, "planning was cut");
    assert.equal(logCut.hits, 1, "the push log write was cut after it ran");
    const requests = fakes.fcm.requests.filter((r) => r.deviceToken === phone && r.status === 200);
    assert.equal(requests.length, 1);
    const body = requests[0]?.body as { message?: { data?: Record<string, string> } };
    assert.equal(body.message?.data?.messageId, messageId);
    const log = await world.stack.api.deps.models.pushLog.find({ messageId }).lean();
    assert.deepEqual(
      log.map((record) => record.outcome),
      ["sent"],
    );
    assert.equal(await readBadge(redis, bob.userId), 1, "the re-planned event counted once on the badge");
  });
  it("an attempt whose lease ran out before its provider call (a stalled worker) makes no call and leaves the entry pending", async () => {
    const redis = world.stack.api.deps.redis;
    const models = world.stack.api.deps.models;
    const alice = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, alice, "fcm");
    const device = await models.pushDevices.findOne({ token: phone }).lean();
    assert.ok(device);
    const provider = new RecordingProvider(["fcm"]);
    const leaseMs = 2_000;
    const deps: SenderDeps = {
      redis,
      models,
      metrics: createPushMetrics(createMetricsRegistry("push")),
      logger: createLogger({ name: "fencing-test", level: "silent" }),
      providers: new Map([["fcm", provider]]),
      maxDeliveries: 5,
      leaseMs,
      doneTtlMs: 60_000,
    };
    const entry: SendEntry = {
      v: 1,
      messageId: "fenced-1",
      conversationId: "s_1_2",
      userId: alice.userId,
      deviceId: String(device._id),
      tokenHash: device.tokenHash,
      provider: "fcm",
      token: phone,
      appId: device.appId,
      environment: "production",
      serverTime: Date.now(),
      notification: {
        kind: "alert",
        title: "t",
        body: "b",
        collapseId: "s_1_2",
        data: {},
        expiresAt: Date.now() + 60_000,
        priority: "high",
      },
    };
    // The attempt began (took the marker) a lease and a bit ago: by the time it would call the provider, another
    // worker may own the entry. It must not call.
    assert.equal(await sendOne(deps, "1-0", entry, Date.now() - leaseMs - 50), "pending");
    assert.equal(provider.sent.length, 0);
    // A fresh attempt (the marker's lease has lapsed) sends once, and a later one finds it done.
    assert.equal(await sendOne(deps, "1-0", entry), "ack");
    assert.equal(await sendOne(deps, "1-0", entry), "ack");
    assert.equal(provider.sent.length, 1);
  });
});
