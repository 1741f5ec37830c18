import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { messageType } from "@im/protocol";
import { metricValue, scrape } from "../support/prometheus.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

describe("sync admission (reconnect storms)", () => {
  let world: RealtimeWorld;
  before(async () => {
    // One sync at a time, and no waiting for a slot: concurrent syncs are refused at once.
    world = await startRealtime(1, { API_SMS_REQUIRED: "false", GATEWAY_SYNC_CONCURRENCY: "1", GATEWAY_SYNC_MAX_WAIT_MS: "1" });
  });
  after(() => world.stop());

  it("rejects connect() when the gateway refuses the handshake for good", async () => {
    const rooms = new Rooms(world.stack, world.api);
    const [carol] = await rooms.users(1);
    await assert.rejects(
      connectClient(world, carol, gateway(world, 0), { resource: "toaster" as unknown as "web" }),
      /VALIDATION_FAILED|resource/i,
    );
  });

  it("refuses syncs beyond the limit with BUSY_RETRY, and the SDK still syncs everything by retrying", async () => {
    const rooms = new Rooms(world.stack, world.api);
    const [alice, bob] = await rooms.users(2);
    const a = await connectClient(world, alice, gateway(world, 0));
    for (let i = 0; i < 5; i++) await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: `offline ${i}` });

    // Bob's devices come back at once (their SDKs' first syncs race for the single slot), then raw sync
    // requests race again.
    const clients = (["ios", "web", "pc", "mac"] as const).map(
      (resource) => new ImClient({ url: gateway(world, 0).url, token: bob.token, resource }),
    );
    world.clients.push(...clients);
    const inboxes = clients.map((c) => collect(c));
    await Promise.all(clients.map((c) => c.connect()));
    const replies = await Promise.all(clients.map((c) => c.socket.timeout(10_000).emitWithAck("sync", { cursors: {} })));
    const refused = replies.filter((r) => !r.ok);
    assert.ok(refused.length > 0, "some syncs were refused");
    for (const reply of refused) assert.equal(reply.ok ? "ok" : reply.error.key, "BUSY_RETRY");
    assert.ok(
      replies.some((r) => r.ok),
      "at least one ran",
    );
    const samples = await scrape(gateway(world, 0).url);
    assert.ok(metricValue(samples, "im_sync_refused_total") >= refused.length);

    // Every SDK client got all five, whether its first sync ran or was refused and retried.
    await eventually(
      "every device has the five offline messages",
      () => inboxes.every((inbox) => inbox.filter((m) => m.content.startsWith("offline")).length === 5),
      30_000,
    );
  });
});
