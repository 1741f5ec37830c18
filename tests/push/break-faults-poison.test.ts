import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import type { PushNotification, PushTarget, SendOutcome } from "@im/push";
import type { RunningPush } from "@im/push-app";
import { counterValue, drained, eventsAdded, RecordingProvider, registerDevice, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

/** A provider client with a bug: it throws for one token (a poison entry), and sends the others. */
class ThrowingProvider extends RecordingProvider {
  readonly poisoned = new Set<string>();
  thrown = 0;

  override async send(target: PushTarget, notification: PushNotification): Promise<SendOutcome> {
    if (this.poisoned.has(target.token)) {
      this.thrown += 1;
      throw new TypeError("Cannot read properties of undefined (reading 'length')");
    }
    return super.send(target, notification);
  }
}

/** A poison send entry (break-faults): tried PUSH_MAX_DELIVERIES times, logged failed, acknowledged; the rest flows. */
describe("a send entry that makes a provider client throw (break-faults)", () => {
  let world: RealtimeWorld;
  let push: RunningPush | undefined;
  const provider = new ThrowingProvider(["fcm"]);
  before(async () => {
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
    push = await startPushApp(world.stack, { PUSH_MAX_DELIVERIES: "3", PUSH_CLAIM_IDLE_MS: "300" }, { providers: [provider] });
  });
  after(async () => {
    await push?.close();
    await world?.stop();
  });

  it("is given up after PUSH_MAX_DELIVERIES, logged failed, and never stops the others", async () => {
    const redis = world.stack.api.deps.redis;
    await drained(redis, await eventsAdded(redis));
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const poison = await registerDevice(world.api, bob, "fcm");
    const fine = await registerDevice(world.api, carol, "fcm");
    provider.poisoned.add(poison);
    const a = await connectClient(world, alice, gateway(world, 0));
    const before = await eventsAdded(redis);
    const toBob = (await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "poison" })).messageId;
    const toCarol = (await a.send({ chatType: 1, to: String(carol.userId), type: messageType.text, content: "fine" })).messageId;
    // The receipts can arrive before the gateway's (not awaited) appends: wait for both events.
    await drained(redis, before + 2, 20_000);
    assert.equal(provider.thrown, 3, "tried PUSH_MAX_DELIVERIES times");
    assert.equal(provider.to(fine).length, 1);
    const log = await world.stack.api.deps.models.pushLog.find({ messageId: { $in: [toBob, toCarol] } }).lean();
    assert.deepEqual(log.map((record) => `${record.userId === bob.userId ? "bob" : "carol"}:${record.outcome}`).sort(), [
      "bob:failed",
      "carol:sent",
    ]);
    assert.ok(push);
    assert.equal(await counterValue(push, "im_push_notifications_total", { provider: "fcm", kind: "alert", outcome: "failed" }), 1);
  });
});
