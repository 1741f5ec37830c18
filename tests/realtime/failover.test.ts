import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import type { Receipt } from "@im/protocol";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";
import { TcpBalancer } from "../support/tcp-balancer.js";

describe("a gateway process killed mid-stream", () => {
  let world: RealtimeWorld;
  let balancer: TcpBalancer;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
    balancer = new TcpBalancer([gateway(world, 0).port, gateway(world, 1).port]);
    await balancer.start();
  });
  after(async () => {
    await balancer.stop();
    await world.stop();
  });

  it("loses and duplicates no acknowledged message after the clients reconnect to the other gateway", async () => {
    const bob = await registerUser(world.stack, world.api);
    const senders = await Promise.all([1, 2, 3].map(() => registerUser(world.stack, world.api)));
    const receiver = await connectClient(world, bob, gateway(world, 1));
    const inbox = collect(receiver);
    let drops = 0;
    // Senders enter through the balancer, which puts them all on gateway 1 while it is alive.
    const clients = await Promise.all(
      senders.map(async (user) => {
        const client = new ImClient({
          url: `http://127.0.0.1:${balancer.port}`,
          token: user.token,
          receiptTimeouts: { text: 1_500, media: 1_500 },
          maxAttempts: 20,
        });
        world.clients.push(client);
        client.on("closed", () => {
          drops += 1;
        });
        await client.connect();
        return client;
      }),
    );

    const perSender = 40;
    const receipts: Array<Array<Promise<Receipt>>> = clients.map(() => []);
    let killed = false;
    for (let i = 0; i < perSender; i++) {
      clients.forEach((client, s) => {
        receipts[s]?.push(client.send({ chatType: 1, to: String(bob.userId), type: 1, content: `s${s}-m${i}` }));
      });
      if (i === 15 && !killed) {
        killed = true;
        await gateway(world, 0).process.kill();
      }
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const acknowledged = (await Promise.all(receipts.map((list) => Promise.allSettled(list)))).map((list) =>
      list.filter((r): r is PromiseFulfilledResult<Receipt> => r.status === "fulfilled").map((r) => r.value),
    );
    const acked = acknowledged.flat();
    assert.equal(acked.length, senders.length * perSender, "every send was eventually acknowledged");
    assert.equal(drops, senders.length, "every sender lost its gateway once and came back through the balancer");

    await eventually(
      "bob has every acknowledged message",
      () => acked.every((r) => inbox.some((m) => m.messageId === r.messageId)),
      20_000,
    );
    const ids = inbox.map((m) => m.messageId);
    assert.equal(new Set(ids).size, ids.length, "no message reached bob's app twice");

    // Each sender's messages reached bob in the order they were sent.
    senders.forEach((user, s) => {
      const mine = inbox.filter((m) => m.fromUserId === user.userId).map((m) => m.content);
      assert.deepEqual(
        mine,
        Array.from({ length: perSender }, (_, i) => `s${s}-m${i}`),
      );
    });

    // What is stored: exactly one copy per owner and messageId.
    const { shards } = world.stack.api.deps.messages;
    let stored = 0;
    for (const model of shards.all()) stored += await model.countDocuments({ fromUserId: { $in: senders.map((u) => u.userId) } });
    assert.equal(stored, acked.length * 2, "one copy for the sender, one for bob");

    // A fresh device of bob's syncs each message exactly once.
    const fresh = new ImClient({ url: gateway(world, 1).url, token: bob.token, syncLimit: 25 });
    world.clients.push(fresh);
    const synced = collect(fresh);
    await fresh.connect();
    const syncedIds = synced.map((m) => m.messageId);
    assert.equal(new Set(syncedIds).size, syncedIds.length);
    assert.equal(synced.length, acked.length);
  });
});
