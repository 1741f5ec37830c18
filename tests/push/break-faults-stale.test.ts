import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import type { RunningPush } from "@im/push-app";
import {
  counterValue,
  dataOf,
  drained,
  eventsAdded,
  type ProviderFakes,
  registerDevice,
  startProviderFakes,
  startPushApp,
} from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

/**
 * What changed while the push app was down (break-faults): events queued during an outage are planned later;
 * a member removed from the room, or a user who blocked the sender, since gets no notification of them.
 */
describe("offline push of events queued before a change (break-faults)", () => {
  let fakes: ProviderFakes;
  let world: RealtimeWorld;
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

  it("a member removed, or a user who blocked the sender, after the message and before planning gets nothing", async () => {
    const redis = world.stack.api.deps.redis;
    const rooms = new Rooms(world.stack, world.api);
    const [owner, removed, stays, blocker] = await rooms.users(4);
    const roomId = await rooms.room(owner, [removed, stays]);
    await rooms.befriend(blocker, owner);
    const [removedPhone, staysPhone, blockerPhone] = [
      await registerDevice(world.api, removed, "fcm"),
      await registerDevice(world.api, stays, "fcm"),
      await registerDevice(world.api, blocker, "fcm"),
    ];
    const o = await connectClient(world, owner, gateway(world, 0));
    const ids = [
      (await o.send({ chatType: 2, to: roomId, type: messageType.text, content: "room secret" })).messageId,
      (await o.send({ chatType: 1, to: String(blocker.userId), type: messageType.text, content: "unwanted" })).messageId,
    ];
    assert.equal((await rooms.remove(owner, roomId, removed.userId)).status, 204);
    assert.equal((await world.api.post(`/v1/blacklist/${owner.userId}`, undefined, blocker.token)).status, 204);

    push = await startPushApp(world.stack, fakes.env);
    await drained(redis, await eventsAdded(redis));
    const accepted = (token: string) =>
      fakes.fcm.requests.filter((r) => r.deviceToken === token && r.status === 200 && ids.includes(String(dataOf(r.body).messageId)));
    assert.equal(accepted(staysPhone).length, 1, "a member still there is notified");
    assert.deepEqual(
      accepted(removedPhone).map((r) => JSON.stringify(r.body)),
      [],
      "the removed member gets nothing",
    );
    assert.deepEqual(
      accepted(blockerPhone).map((r) => JSON.stringify(r.body)),
      [],
      "the user who blocked the sender gets nothing",
    );
    assert.ok((await counterValue(push, "im_push_skipped_total", { reason: "not_member" })) >= 1);
    assert.ok((await counterValue(push, "im_push_skipped_total", { reason: "blocked" })) >= 1);
  });
});
