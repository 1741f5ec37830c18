import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PresenceWriter } from "@im/gateway";
import { connectClient, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";

describe("presence", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
  });
  after(() => world.stop());

  const onlineState = async (userId: number) => (await world.stack.api.deps.models.users.findOne({ userId }).lean())?.onlinestate;
  const devices = (userId: number) => world.stack.api.deps.redis.zrange(`im:presence:${userId}`, 0, -1);

  it("tracks each device per gateway and clears the user when the last device leaves", async () => {
    const alice = await registerUser(world.stack, world.api);
    assert.equal(await onlineState(alice.userId), 0);
    const phone = await connectClient(world, alice, gateway(world, 0), { resource: "android" });
    const firstActive = (await world.stack.api.deps.models.users.findOne({ userId: alice.userId }).lean())?.active;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const pc = await connectClient(world, alice, gateway(world, 1), { resource: "pc" });
    const activeAfterSecond = (await world.stack.api.deps.models.users.findOne({ userId: alice.userId }).lean())?.active;
    assert.ok(firstActive);
    assert.equal(activeAfterSecond, firstActive, "a second device does not write the user document");
    const list = await devices(alice.userId);
    assert.equal(list.length, 2);
    assert.ok(list.some((d) => d.startsWith("gw1|android|")));
    assert.ok(list.some((d) => d.startsWith("gw2|pc|")));
    assert.equal(await onlineState(alice.userId), 1);

    phone.close();
    await waitFor(async () => (await devices(alice.userId)).length === 1);
    assert.equal(await onlineState(alice.userId), 1, "still online on the pc");
    pc.close();
    await waitFor(async () => (await devices(alice.userId)).length === 0);
    await waitFor(async () => (await onlineState(alice.userId)) === 0);
  });

  it("writes user documents in batches, with the state Redis holds when it writes", async () => {
    const { models, redis } = world.stack.api.deps;
    const users = await Promise.all(Array.from({ length: 12 }, () => registerUser(world.stack, world.api)));
    const ids = users.map((u) => u.userId);
    const live = ids.slice(0, 8);
    for (const userId of live) await redis.zadd(`im:presence:${userId}`, Date.now() + 60_000, `gwX|web|s${userId}`);
    // One user's last record expired before the write: the writer must see it as offline.
    await redis.zadd(`im:presence:${ids[8]}`, Date.now() - 1, "gwX|web|gone");
    await models.users.updateMany({ userId: { $in: ids } }, { $set: { onlinestate: 1 } });

    const writer = new PresenceWriter(redis, models);
    let updates = 0;
    const client = models.users.db.getClient();
    const count = (event: { commandName: string; command: { update?: unknown } }) => {
      if (event.commandName === "update" && event.command.update === models.users.collection.collectionName) updates++;
    };
    client.on("commandStarted", count);
    await Promise.all(ids.map((userId) => writer.update(userId)));
    client.off("commandStarted", count);
    assert.ok(updates >= 1, "the update commands are seen");
    assert.ok(updates <= 4, `${ids.length} users written with ${updates} updates (first alone, the rest together)`);
    const states = await models.users.find({ userId: { $in: ids } }, { _id: 0, userId: 1, onlinestate: 1 }).lean();
    for (const { userId, onlinestate } of states) assert.equal(onlinestate, live.includes(userId) ? 1 : 0, `user ${userId}`);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
