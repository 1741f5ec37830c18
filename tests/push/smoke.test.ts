import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningPush } from "@im/push-app";
import { counterValue, drained, eventsAdded, RecordingProvider, registerDevice, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

describe("push app smoke: gateway → events → plan → sends → provider", () => {
  let world: RealtimeWorld;
  let push: RunningPush;
  const provider = new RecordingProvider(["fcm", "apns", "apns-voip"]);
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
    push = await startPushApp(world.stack, {}, { providers: [provider] });
  });
  after(async () => {
    await push?.close();
    await world?.stop();
  });

  it("an offline recipient's device gets one push; an online one none", async () => {
    const alice = await registerUser(world.stack, world.api, { nickname: "Alice" });
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const bobToken = await registerDevice(world.api, bob, "fcm");
    const carolToken = await registerDevice(world.api, carol, "fcm");
    const before = await eventsAdded(world.stack.api.deps.redis);
    const a = await connectClient(world, alice, gateway(world, 0));
    await connectClient(world, carol, gateway(world, 0));
    await a.send({ chatType: 1, to: String(bob.userId), type: 1, content: "hello bob" });
    await a.send({ chatType: 1, to: String(carol.userId), type: 1, content: "hello carol" });
    await drained(world.stack.api.deps.redis, before + 2);
    assert.equal(provider.to(bobToken).length, 1);
    assert.equal(provider.to(bobToken)[0]?.notification.body, "hello bob");
    assert.equal(provider.to(bobToken)[0]?.notification.title, "Alice");
    assert.equal(provider.to(bobToken)[0]?.notification.badge, 1);
    assert.equal(provider.to(carolToken).length, 0);
    assert.equal(await counterValue(push, "im_push_skipped_total", { reason: "online" }), 1);
  });
});
