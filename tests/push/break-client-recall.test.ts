import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import type { RunningPush } from "@im/push-app";
import { dataOf, drained, eventsAdded, type ProviderFakes, registerDevice, startProviderFakes, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

/**
 * The breaker "client" (issue 12): a message recalled while its push still waits in the queue (the push
 * worker behind, or down) must not be pushed afterwards — the docs promise "never a recalled message".
 */
describe("offline push of a message recalled before the push worker planned it", () => {
  let world: RealtimeWorld;
  let fakes: ProviderFakes;
  let push: RunningPush | undefined;
  before(async () => {
    fakes = await startProviderFakes();
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
  });
  after(async () => {
    await push?.close();
    await world?.stop();
    await fakes?.stop();
  });

  it("sends nothing for the recalled message, and the next one still goes out", async () => {
    const rooms = new Rooms(world.stack, world.api);
    const [alice, bob] = await rooms.users(2);
    const redis = world.stack.api.deps.redis;
    const before = await eventsAdded(redis);
    await rooms.befriend(alice, bob);
    const token = await registerDevice(world.api, bob, "fcm", { locale: "en" });
    const a = await connectClient(world, alice, gateway(world, 0));
    const wrong = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "sent to the wrong person" });
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.recall, content: "", objectId: wrong.messageId });
    const kept = await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "still here" });

    push = await startPushApp(world.stack, { PUSH_PROVIDER_RETRIES: "0", ...fakes.env });
    await drained(redis, before + 3); // the 508 notice, the two texts
    const texts = fakes.fcm.requests.filter((r) => r.deviceToken === token && dataOf(r.body).type === "1");
    assert.deepEqual(
      texts.map((r) => dataOf(r.body).messageId),
      [kept.messageId],
      `pushed: ${JSON.stringify(texts.map((r) => r.body))}`,
    );
  });
});
