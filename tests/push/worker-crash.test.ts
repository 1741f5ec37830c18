import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { PUSH_SENDS_STREAM } from "@im/push";
import { type RunningPush, streamState } from "@im/push-app";
import {
  dataOf,
  drained,
  eventsAdded,
  type ProviderFakes,
  type PushProcess,
  registerDevice,
  startProviderFakes,
  startPushApp,
  startPushProcess,
} from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

/**
 * A push worker process SIGKILLed in the middle of a room's notifications: another worker claims its pending
 * entries (XAUTOCLAIM after PUSH_CLAIM_IDLE_MS) and delivers what it had not, and nothing goes twice except
 * requests the provider had already received from the killed worker when the kill cut them (their answers
 * never reached a process that could record them). The provider server answers slowly so the kill lands
 * mid-batch; it records each request when it arrives, so a request before the kill came from the killed
 * worker (the other one starts after the kill).
 */
describe("a push worker killed mid-batch", () => {
  let fakes: ProviderFakes;
  let world: RealtimeWorld;
  let workerA: PushProcess | undefined;
  let workerB: RunningPush | undefined;
  const concurrency = 4;
  const workerEnv = () => ({
    ...fakes.env,
    PUSH_CONCURRENCY: String(concurrency),
    PUSH_BATCH: String(concurrency),
    PUSH_CLAIM_IDLE_MS: "1000",
    PUSH_PROVIDER_TIMEOUT_MS: "2000",
    PUSH_PROVIDER_RETRIES: "0",
  });
  before(async () => {
    fakes = await startProviderFakes({ delayMs: 150 });
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
  });
  after(async () => {
    await workerA?.process.stop();
    await workerB?.close();
    await world?.stop();
    await fakes?.stop();
  });

  it("another worker delivers the killed worker's pending notifications, none twice beyond the cut requests", async (t) => {
    const redis = world.stack.api.deps.redis;
    const rooms = new Rooms(world.stack, world.api);
    const [owner, ...members] = await rooms.users(25);
    const roomId = await rooms.room(owner, members);
    workerA = await startPushProcess(world.stack, "worker-a", workerEnv());
    await drained(redis, await eventsAdded(redis)); // the set-up notices (friends, room), to no device yet
    const tokens = new Set<string>();
    for (const member of members) tokens.add(await registerDevice(world.api, member, "fcm"));

    const o = await connectClient(world, owner, gateway(world, 0));
    const messageIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      messageIds.push((await o.send({ chatType: 2, to: roomId, type: messageType.text, content: `burst ${i}` })).messageId);
    }
    const expected = messageIds.length * tokens.size;
    const ours = () => fakes.fcm.requests.filter((r) => tokens.has(r.deviceToken) && messageIds.includes(String(dataOf(r.body).messageId)));
    const deadline = Date.now() + 30_000;
    while (ours().length < 12 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await workerA.process.kill();
    const killedAt = Date.now();
    const beforeKill = ours().length;
    assert.ok(beforeKill >= 12 && beforeKill < expected, `killed mid-batch (${beforeKill} of ${expected} received)`);

    // What the queue gauges report meanwhile: the killed worker's entries are unacknowledged and ageing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stalled = await streamState(redis, PUSH_SENDS_STREAM);
    assert.ok(stalled.lag > 0 && stalled.lag <= expected, `sends not acknowledged: ${stalled.lag}`);
    assert.ok(stalled.oldestAgeSeconds >= 0.3, `oldest unacknowledged send ages: ${stalled.oldestAgeSeconds} s`);

    workerB = await startPushApp(world.stack, { ...workerEnv(), PUSH_CONSUMER: "worker-b" });
    await drained(redis, 0, 60_000);

    const byPair = new Map<string, number[]>();
    for (const request of ours()) {
      const key = `${dataOf(request.body).messageId}|${request.deviceToken}`;
      byPair.set(key, [...(byPair.get(key) ?? []), request.time]);
    }
    assert.equal(byPair.size, expected, "every member's device got every message");
    const twice = [...byPair.values()].filter((times) => times.length > 1);
    for (const times of twice) {
      assert.equal(times.length, 2, "at most one repeat");
      assert.ok((times[0] ?? Infinity) < killedAt, "only a request the killed worker had sent is repeated");
    }
    assert.ok(twice.length <= concurrency, `repeats (${twice.length}) are at most the killed worker's sends in flight`);
    assert.ok(ours().filter((r) => r.time >= killedAt).length > 0, "the other worker delivered the rest");
    t.diagnostic(`received before the kill ${beforeKill}, after ${ours().length - beforeKill}, repeated ${twice.length}`);
    const log = await world.stack.api.deps.models.pushLog.find({ messageId: { $in: messageIds } }).lean();
    assert.equal(log.length, expected);
    assert.ok(log.every((record) => record.outcome === "sent"));
    const pending = (await redis.xpending(PUSH_SENDS_STREAM, "push")) as [number, ...unknown[]];
    assert.equal(pending[0], 0, "nothing left pending");
    const scraped = await (await fetch(`${workerB.url}/metrics`)).text();
    assert.match(scraped, /^im_push_queue_lag\{[^}]*stream="sends"[^}]*\} 0$/m);
    assert.match(scraped, /^im_push_queue_oldest_age_seconds\{[^}]*stream="events"[^}]*\} 0$/m);
    assert.match(scraped, /^im_push_notifications_total\{[^}]*provider="fcm"[^}]*kind="alert"[^}]*outcome="sent"[^}]*\} [1-9]/m);
  });
});
