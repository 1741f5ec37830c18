import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { PUSH_CONSUMER_GROUP, PUSH_ENTRY_FIELD, PUSH_EVENTS_STREAM, PUSH_SENDS_STREAM } from "@im/push";
import { counterValue, drained, type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway, registerUser } from "../support/realtime.js";

/** Queue faults (break-faults): lost streams, malformed entries. */
describe("offline push queue faults (break-faults)", () => {
  let world: PushWorld;
  before(async () => {
    world = await startPushWorld();
  });
  after(() => world?.stop());

  const fcmAccepted = (token: string) => world.fakes.fcm.requests.filter((r) => r.deviceToken === token && r.status === 200);

  it("malformed entries in both streams are acknowledged and counted, and the worker goes on", async () => {
    const malformed = (stream: string) => counterValue(world.push, "im_push_malformed_entries_total", { stream });
    const [eventsBefore, sendsBefore] = [await malformed("events"), await malformed("sends")];
    for (const stream of [PUSH_EVENTS_STREAM, PUSH_SENDS_STREAM]) {
      await world.redis.xadd(stream, "*", "other", "x");
      await world.redis.xadd(stream, "*", PUSH_ENTRY_FIELD, "{not json");
      await world.redis.xadd(stream, "*", PUSH_ENTRY_FIELD, JSON.stringify({ v: 2, hello: "world" }));
      await world.redis.xadd(stream, "*", PUSH_ENTRY_FIELD, "null");
    }
    await drained(world.redis);
    assert.equal(await malformed("events"), eventsBefore + 4);
    assert.equal(await malformed("sends"), sendsBefore + 4);

    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.settle(1, () => a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "after junk" }));
    assert.equal(fcmAccepted(phone).length, 1);
  });

  it("both streams lost (Redis restarted without persistence): the worker makes its group again and pushes", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.redis.del(PUSH_EVENTS_STREAM, PUSH_SENDS_STREAM);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "after the restart" });
    const deadline = Date.now() + 10_000;
    while (fcmAccepted(phone).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fcmAccepted(phone).length, 1, "pushed after the streams came back");
    const groups = (await world.redis.xinfo("GROUPS", PUSH_EVENTS_STREAM)) as unknown[][];
    assert.ok(groups.some((fields) => fields.includes(PUSH_CONSUMER_GROUP)));
  });
});
