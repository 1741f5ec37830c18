import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { PUSH_SENDS_STREAM } from "@im/push";
import {
  dataOf,
  drained,
  eventsAdded,
  type ProviderFakes,
  type PushProcess,
  registerDevice,
  startProviderFakes,
  startPushProcess,
} from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

/**
 * Three push worker processes on one room's burst; one is paused (SIGSTOP) mid-batch for longer than its
 * lease, then resumed (break-faults): every member's device gets every message, and nothing goes twice except
 * requests the paused worker had on the wire when it stopped.
 */
describe("three push workers, one paused mid-batch (break-faults)", () => {
  let fakes: ProviderFakes;
  let world: RealtimeWorld;
  const workers: PushProcess[] = [];
  const concurrency = 4;
  // lease = 1 s × 1 + 1 s = 2 s
  const env = () => ({
    ...fakes.env,
    PUSH_CONCURRENCY: String(concurrency),
    PUSH_BATCH: String(concurrency),
    PUSH_CLAIM_IDLE_MS: "500",
    PUSH_PROVIDER_TIMEOUT_MS: "1000",
    PUSH_PROVIDER_RETRIES: "0",
  });
  before(async () => {
    fakes = await startProviderFakes({ delayMs: 100 });
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
  });
  after(async () => {
    for (const worker of workers) {
      process.kill(worker.process.pid, "SIGCONT");
      await worker.process.stop();
    }
    await world?.stop();
    await fakes?.stop();
  });

  it("delivers everything; repeats only of requests the paused worker had sent", async () => {
    const redis = world.stack.api.deps.redis;
    const rooms = new Rooms(world.stack, world.api);
    const [owner, ...members] = await rooms.users(16);
    const roomId = await rooms.room(owner, members);
    for (const name of ["w1", "w2", "w3"]) workers.push(await startPushProcess(world.stack, `faults-${name}`, env()));
    await drained(redis, await eventsAdded(redis));
    const tokens = new Set<string>();
    for (const member of members) tokens.add(await registerDevice(world.api, member, "fcm"));

    const o = await connectClient(world, owner, gateway(world, 0));
    const messageIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      messageIds.push((await o.send({ chatType: 2, to: roomId, type: messageType.text, content: `burst ${i}` })).messageId);
    }
    const expected = messageIds.length * tokens.size;
    const ours = () => fakes.fcm.requests.filter((r) => tokens.has(r.deviceToken) && messageIds.includes(String(dataOf(r.body).messageId)));
    const deadline = Date.now() + 30_000;
    while (ours().length < 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(ours().length < expected, "paused mid-batch");
    const paused = workers[0];
    assert.ok(paused);
    process.kill(paused.process.pid, "SIGSTOP");
    // Requests the paused worker wrote just before it stopped are still read by the stub (in this process) after
    // this line: they are its sends on the wire, recorded up to a moment later. Loopback delivers them well
    // within ON_THE_WIRE_MS; a takeover's repeat comes only after the paused worker's 2 s lease.
    const ON_THE_WIRE_MS = 250;
    const pausedAt = Date.now() + ON_THE_WIRE_MS;
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    process.kill(paused.process.pid, "SIGCONT");
    await drained(redis, 0, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const byPair = new Map<string, number[]>();
    for (const request of ours()) {
      const key = `${dataOf(request.body).messageId}|${request.deviceToken}`;
      byPair.set(key, [...(byPair.get(key) ?? []), request.wallTime]);
    }
    assert.equal(byPair.size, expected, "every member's device got every message");
    const twice = [...byPair.values()].filter((times) => times.length > 1);
    for (const times of twice) {
      assert.equal(times.length, 2, "at most one repeat");
      assert.ok((times[0] ?? Infinity) < pausedAt, "only a request sent before the pause is repeated");
    }
    assert.ok(twice.length <= concurrency, `repeats (${twice.length}) are at most the paused worker's sends in flight`);
    const log = await world.stack.api.deps.models.pushLog.find({ messageId: { $in: messageIds } }).lean();
    assert.equal(log.length, expected);
    const pending = (await redis.xpending(PUSH_SENDS_STREAM, "push")) as [number, ...unknown[]];
    assert.equal(pending[0], 0, "nothing left pending");
  });
});
