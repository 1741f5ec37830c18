import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { readBadge } from "@im/push";
import type { RunningPush } from "@im/push-app";
import { TcpProxy } from "@im/testing";
import { drained, eventsAdded, type ProviderFakes, registerDevice, startProviderFakes, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

/**
 * A push worker whose FerretDB connection stalls (TcpProxy holding its push_devices reads) while another worker
 * runs normally (break-faults): the stalled worker's lease runs out, the other takes the entry over and sends;
 * the stalled one must not send the same notification again when its read comes back.
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

  it("a send whose lease ran out while its device read stalled is not sent again after another worker sent it", async () => {
    const redis = world.stack.api.deps.redis;
    const dbPath = new URL(world.stack.config.MONGO_URL).pathname;
    const stalled = await startPushApp(world.stack, { ...env(), PUSH_CONSUMER: "stalled", MONGO_URL: proxy.url("mongodb", dbPath) });
    running.push(stalled);
    await drained(redis, await eventsAdded(redis));
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    // The planner's device read and then the sender's are held 3.5 s each (the lease is 2 s).
    const fault = proxy.onCommand({ command: "find", collection: /^push_devices$/, action: { holdMs: 3_500 }, times: 2 });
    const a = await connectClient(world, alice, gateway(world, 0));
    const { messageId } = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "once" });
    const deadline = Date.now() + 15_000;
    while (fault.hits < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fault.hits, 2, "the sender's device read is held");
    running.push(await startPushApp(world.stack, { ...env(), PUSH_CONSUMER: "healthy" }));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await drained(redis, 0, 20_000);
    const requests = fakes.fcm.requests.filter((r) => r.deviceToken === phone);
    assert.equal(requests.length, 1, `one request for one notification (got ${requests.length})`);
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
    const { messageId } = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "cut twice" });
    await drained(redis, 0, 30_000);
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
});
