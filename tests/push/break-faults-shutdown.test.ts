import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import type { RunningPush } from "@im/push-app";
import { drained, eventsAdded, type ProviderFakes, registerDevice, startProviderFakes, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

const until = async (what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** Graceful shutdown (SIGTERM runs RunningPush.close()) while sends are in flight (break-faults). */
describe("push worker shutdown with sends in flight (break-faults)", () => {
  let fakes: ProviderFakes;
  let world: RealtimeWorld;
  const running: RunningPush[] = [];
  const env = () => ({ ...fakes.env, PUSH_CLAIM_IDLE_MS: "500", PUSH_PROVIDER_RETRIES: "3", PUSH_PROVIDER_TIMEOUT_MS: "5000" });
  before(async () => {
    fakes = await startProviderFakes();
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
  });
  after(async () => {
    for (const push of running) await push.close();
    await world?.stop();
    await fakes?.stop();
  });
  const start = async (consumer: string) => {
    const push = await startPushApp(world.stack, { ...env(), PUSH_CONSUMER: consumer });
    running.push(push);
    return push;
  };

  it("a request on the wire finishes and is acknowledged; a send waiting out a Retry-After stops waiting and is left to another worker", async () => {
    const redis = world.stack.api.deps.redis;
    const first = await start("shutdown-a");
    await drained(redis, await eventsAdded(redis));
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const bobPhone = await registerDevice(world.api, bob, "fcm");
    const carolPhone = await registerDevice(world.api, carol, "fcm");
    // Bob's send is throttled (9 s Retry-After, waited inside the client); Carol's request is slow on the wire.
    fakes.fcm.script.forToken(bobPhone, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 9 });
    const a = await connectClient(world, alice, gateway(world, 0));
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "throttled" });
    await until("bob's throttled request", () => fakes.fcm.requests.some((r) => r.deviceToken === bobPhone));
    fakes.fcm.script.clear();
    fakes.fcm.script.forToken(carolPhone, { status: 200, delayMs: 1_500 });
    await a.send({ chatType: 1, to: String(carol.userId), type: messageType.text, content: "slow" });
    await until("carol's slow request", () => fakes.fcm.requests.some((r) => r.deviceToken === carolPhone));

    const closing = Date.now();
    await first.close();
    const closeMs = Date.now() - closing;
    fakes.fcm.script.clear();
    const carolLog = await world.stack.api.deps.models.pushLog.find({ userId: carol.userId }).lean();
    assert.deepEqual(
      carolLog.map((record) => record.outcome),
      ["sent"],
      "the request on the wire was answered, logged and acknowledged before close() returned",
    );
    assert.ok(closeMs < 5_000, `close() waited ${closeMs} ms (a Retry-After wait holds the shutdown)`);

    const taking = Date.now();
    await start("shutdown-b");
    await drained(redis, 0, 30_000);
    const bobAccepted = fakes.fcm.requests.filter((r) => r.deviceToken === bobPhone && r.status === 200);
    assert.equal(bobAccepted.length, 1, "bob's notification sent once, by the other worker");
    const throttled = fakes.fcm.requests.find((r) => r.deviceToken === bobPhone && r.status === 429);
    const waited = (bobAccepted[0]?.time ?? 0) - (throttled?.time ?? 0);
    assert.ok(waited >= 8_900, `the provider's Retry-After still holds for the other worker (${waited} ms)`);
    assert.ok(Date.now() - taking < 12_000, "the other worker did not wait out the stopped worker's lease");
    const bobLog = await world.stack.api.deps.models.pushLog.find({ userId: bob.userId }).lean();
    assert.deepEqual(
      bobLog.map((record) => record.outcome),
      ["sent"],
    );
  });
});
