import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { PUSH_SENDS_STREAM } from "@im/push";
import type { RunningPush } from "@im/push-app";
import { TcpProxy } from "@im/testing";
import { dataOf, drained, eventsAdded, type ProviderFakes, registerDevice, startProviderFakes, startPushApp } from "../support/push.js";
import { connectClient, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

/**
 * Redis goes away under a push worker with sends in flight and comes back with its data (a restart with
 * persistence, seen from the worker: connections cut, refused for a while) (break-faults): nothing is lost,
 * nothing is sent twice that the worker had the answer of.
 */
describe("Redis restarted under a sending push worker (break-faults)", () => {
  let fakes: ProviderFakes;
  let world: RealtimeWorld;
  let proxy: TcpProxy;
  let push: RunningPush | undefined;
  before(async () => {
    fakes = await startProviderFakes({ delayMs: 300 });
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", PUSH_ENABLED: "true" });
    proxy = await TcpProxy.start({ targetPort: world.stack.redis.port });
  });
  after(async () => {
    await push?.close();
    await proxy?.stop();
    await world?.stop();
    await fakes?.stop();
  });

  it("a 3 s Redis outage mid-batch: every notification delivered, none twice", async () => {
    const redis = world.stack.api.deps.redis;
    const rooms = new Rooms(world.stack, world.api);
    const [owner, ...members] = await rooms.users(11);
    const roomId = await rooms.room(owner, members);
    push = await startPushApp(world.stack, {
      ...fakes.env,
      REDIS_URL: proxy.url("redis"),
      PUSH_CONCURRENCY: "4",
      PUSH_BATCH: "4",
      PUSH_CLAIM_IDLE_MS: "500",
      PUSH_PROVIDER_TIMEOUT_MS: "2000",
      PUSH_PROVIDER_RETRIES: "0",
    });
    await drained(redis, await eventsAdded(redis));
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
    while (ours().length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(ours().length < expected, "cut mid-batch");
    await proxy.refuse(3_000);
    await drained(redis, 0, 60_000);

    const byPair = new Map<string, number>();
    for (const request of ours()) {
      const key = `${dataOf(request.body).messageId}|${request.deviceToken}`;
      byPair.set(key, (byPair.get(key) ?? 0) + 1);
    }
    assert.equal(byPair.size, expected, "every member's device got every message");
    const twice = [...byPair.entries()].filter(([, count]) => count > 1);
    assert.deepEqual(twice, [], "none twice");
    const log = await world.stack.api.deps.models.pushLog.find({ messageId: { $in: messageIds } }).lean();
    assert.equal(log.length, expected);
    const pending = (await redis.xpending(PUSH_SENDS_STREAM, "push")) as [number, ...unknown[]];
    assert.equal(pending[0], 0);
  });
});
