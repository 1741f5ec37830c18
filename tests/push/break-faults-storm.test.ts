import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway, registerUser } from "../support/realtime.js";

/** Provider storms (break-faults): one provider's 429 storm must not hold the others' notifications. */
describe("a provider's 429 storm (break-faults)", () => {
  let world: PushWorld;
  before(async () => {
    world = await startPushWorld({ PUSH_PROVIDER_RETRIES: "3", PUSH_CONCURRENCY: "4", PUSH_BATCH: "4", PUSH_MAX_DELIVERIES: "10" });
  });
  after(() => world?.stop());

  it("FCM answering QUOTA_EXCEEDED with Retry-After does not hold an APNs notification behind it", async () => {
    const alice = await registerUser(world.stack, world.api);
    const a = await connectClient(world, alice, gateway(world, 0));
    const android: string[] = [];
    for (let i = 0; i < 8; i++) {
      const user = await registerUser(world.stack, world.api);
      const token = await registerDevice(world.api, user, "fcm");
      world.fakes.fcm.script.forToken(token, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 3 });
      android.push(token);
      await a.send({ chatType: 1, to: String(user.userId), type: messageType.text, content: `storm ${i}` });
    }
    const bob = await registerUser(world.stack, world.api);
    const iphone = await registerDevice(world.api, bob, "apns");
    const deadline = Date.now() + 10_000;
    while (world.fakes.fcm.requests.filter((r) => r.status === 429).length < 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const sentAt = Date.now();
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "to the iPhone" });
    while (!world.fakes.apns.requests.some((r) => r.deviceToken === iphone) && Date.now() - sentAt < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const took = Date.now() - sentAt;
    world.fakes.fcm.script.clear();
    assert.ok(took < 2_000, `the APNs notification waited ${took} ms behind FCM's storm`);
    await world.settle(0, async () => {});
    for (const token of android) {
      assert.equal(
        world.fakes.fcm.requests.filter((r) => r.deviceToken === token && r.status === 200).length,
        1,
        "each sent once after the storm",
      );
    }
  });
});
