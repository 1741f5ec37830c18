import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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
    const pc = await connectClient(world, alice, gateway(world, 1), { resource: "pc" });
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
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
