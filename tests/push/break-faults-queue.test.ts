import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { PUSH_CONSUMER_GROUP, PUSH_ENTRY_FIELD, PUSH_EVENTS_STREAM, PUSH_SENDS_STREAM } from "@im/push";
import { type RunningPush, streamState } from "@im/push-app";
import { counterValue, drained, type PushWorld, registerDevice, startPushApp, startPushWorld } from "../support/push.js";
import { connectClient, gateway, registerUser } from "../support/realtime.js";

/** Queue faults (break-faults): lost streams, malformed entries. */
describe("offline push queue faults (break-faults)", () => {
  let world: PushWorld;
  before(async () => {
    world = await startPushWorld();
  });
  let later: RunningPush | undefined;
  after(async () => {
    await later?.close();
    await world?.stop();
  });

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

  it("a long outage: the bound trims the events stream, a dead consumer's trimmed entries are cleared, the gauges come back to 0", async () => {
    await world.push.close();
    const event = (n: number) =>
      JSON.stringify({
        v: 1,
        kind: "alert",
        audience: "recipients",
        messageId: `bound-${process.pid}-${n}`,
        conversationId: "c",
        chatType: 1,
        type: messageType.text,
        seq: n,
        serverTime: Date.now(),
        fromUserId: 1,
        to: "2",
        recipients: [2_000_000_000],
      });
    // A consumer that died holding 50 events, then 1,500 more appended under a bound of ~300.
    for (let n = 0; n < 50; n++) await world.redis.xadd(PUSH_EVENTS_STREAM, "*", PUSH_ENTRY_FIELD, event(n));
    await world.redis.xreadgroup("GROUP", PUSH_CONSUMER_GROUP, "dead", "COUNT", 50, "STREAMS", PUSH_EVENTS_STREAM, ">");
    const pipeline = world.redis.pipeline();
    for (let n = 50; n < 1_550; n++) pipeline.xadd(PUSH_EVENTS_STREAM, "MAXLEN", "~", 300, "*", PUSH_ENTRY_FIELD, event(n));
    await pipeline.exec();
    const length = await world.redis.xlen(PUSH_EVENTS_STREAM);
    assert.ok(length <= 400, `bounded: ${length}`);

    later = await startPushApp(world.stack, { PUSH_CLAIM_IDLE_MS: "500" });
    await drained(world.redis, 0, 60_000);
    const deadline = Date.now() + 10_000;
    let pending = -1;
    while (Date.now() < deadline) {
      pending = Number(((await world.redis.xpending(PUSH_EVENTS_STREAM, PUSH_CONSUMER_GROUP)) as [number])[0]);
      if (pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(pending, 0, "the dead consumer's trimmed entries left the pending list");
    const state = await streamState(world.redis, PUSH_EVENTS_STREAM);
    assert.deepEqual([state.lag, state.oldestAgeSeconds], [0, 0]);
    const scraped = await (await fetch(`${later.url}/metrics`)).text();
    assert.match(scraped, /^im_push_queue_lag\{[^}]*stream="events"[^}]*\} 0$/m);
    assert.match(scraped, /^im_push_queue_oldest_age_seconds\{[^}]*stream="events"[^}]*\} 0$/m);
  });
});
