import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImClient } from "@im/client";
import { messageType, type SendMessageInput } from "@im/protocol";
import { metricValue, type Sample, scrape } from "../support/prometheus.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, registerUser, startRealtime } from "../support/realtime.js";
import { Rooms } from "../support/rooms.js";

describe("gateway Prometheus metrics", () => {
  let world: RealtimeWorld;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
  });
  after(() => world.stop());

  const gw1 = () => gateway(world, 0);
  const gw2 = () => gateway(world, 1);
  /** How much a metric moved between two scrapes. */
  const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) =>
    metricValue(after, name, labels) - metricValue(before, name, labels);
  /** Scrapes until `check` passes (a disconnect reaches the gateway a moment after the client closes). */
  const scrapeUntil = async (url: string, check: (samples: Sample[]) => boolean) => {
    let samples = await scrape(url);
    for (let i = 0; i < 100 && !check(samples); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      samples = await scrape(url);
    }
    assert.ok(check(samples), "metrics settled");
    return samples;
  };

  it("counts connections, messages, refusals, syncs and handshakes, with bounded labels", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const [start1, start2] = [await scrape(gw1().url), await scrape(gw2().url)];
    assert.equal(metricValue(start1, "im_online_users"), 0);

    const alicePhone = await connectClient(world, alice, gw1());
    const alicePc = await connectClient(world, alice, gw1(), { resource: "pc" });
    const b = await connectClient(world, bob, gw2());
    const inbox = collect(b);
    const connected1 = await scrape(gw1().url);
    assert.equal(metricValue(connected1, "im_online_users"), 1, "two devices, one user");
    assert.equal(metricValue(connected1, "im_connected_devices", { resource: "android" }), 1);
    assert.equal(metricValue(connected1, "im_connected_devices", { resource: "pc" }), 1);
    assert.equal(delta(start1, connected1, "im_connections_opened_total", { resource: "android" }), 1);
    assert.equal(delta(start1, connected1, "im_connections_opened_total", { resource: "pc" }), 1);
    assert.equal(metricValue(await scrape(gw2().url), "im_online_users"), 1);
    for (const role of ["store", "adapter_pub", "adapter_sub"]) {
      assert.equal(metricValue(connected1, "im_redis_connected", { role }), 1, `${role} connection ready`);
    }

    const to = String(bob.userId);
    const messageId = crypto.randomUUID();
    await alicePhone.send({ messageId, chatType: 1, to, type: messageType.text, content: "one" });
    await alicePhone.send({ chatType: 1, to, type: messageType.text, content: "two" });
    await alicePhone.send({ chatType: 1, to, type: messageType.text, content: "three" });
    const emit = (payload: unknown) => alicePhone.socket.timeout(5_000).emitWithAck("message:send", payload as SendMessageInput);
    assert.ok((await emit({ messageId, chatType: 1, to, type: messageType.text, content: "one" })).ok, "a resend");
    assert.ok((await emit({ messageId: crypto.randomUUID(), chatType: 1, to, type: messageType.typing, content: "" })).ok);
    const unknown = await emit({ messageId: crypto.randomUUID(), chatType: 1, to: "99999999", type: messageType.text, content: "?" });
    assert.equal(unknown.ok ? "ok" : unknown.error.key, "USER_NOT_FOUND");
    const malformed = await emit({ nonsense: true });
    assert.equal(malformed.ok ? "ok" : malformed.error.key, "VALIDATION_FAILED");
    await eventually("bob's three messages and the typing event", () => inbox.length === 4);

    const sent1 = await scrape(gw1().url);
    const single = { chat_type: "single" };
    assert.equal(delta(connected1, sent1, "im_messages_received_total", { ...single, type: "text" }), 5);
    assert.equal(delta(connected1, sent1, "im_messages_received_total", { ...single, type: "typing" }), 1);
    assert.equal(delta(connected1, sent1, "im_messages_stored_total", { ...single, type: "text" }), 3);
    assert.equal(delta(connected1, sent1, "im_messages_stored_total"), 3, "typing is not stored");
    assert.equal(delta(connected1, sent1, "im_messages_duplicate_total", single), 1);
    assert.equal(delta(connected1, sent1, "im_messages_delivered_total", single), 5, "3 + the resend + typing, to bob");
    assert.equal(delta(connected1, sent1, "im_messages_rejected_total", { reason: "USER_NOT_FOUND" }), 1);
    assert.equal(delta(connected1, sent1, "im_messages_rejected_total", { reason: "VALIDATION_FAILED" }), 1);
    assert.equal(delta(connected1, sent1, "im_receipt_latency_seconds_count", single), 4);
    assert.ok(delta(connected1, sent1, "im_receipt_latency_seconds_sum", single) > 0);
    assert.ok(delta(connected1, sent1, "im_message_write_batch_size_count") >= 1);
    assert.ok(delta(connected1, sent1, "im_message_write_batch_size_sum") >= 3, "every stored copy went through a batch");
    assert.equal(delta(connected1, sent1, "im_message_write_seconds_count"), delta(connected1, sent1, "im_message_write_batch_size_count"));
    const sent2 = await scrape(gw2().url);
    assert.equal(delta(start2, sent2, "im_messages_received_total"), 0, "bob's gateway only delivered");
    // Delivery is measured where the message reaches the recipient's socket: bob's gateway, through Redis.
    assert.equal(delta(start2, sent2, "im_delivery_latency_seconds_count", single), 5, "3 + the resend + typing");
    assert.ok(delta(start2, sent2, "im_delivery_latency_seconds_sum", single) >= 0);
    assert.ok(delta(start1, sent1, "im_adapter_messages_published_total", { type: "broadcast" }) >= 5);
    assert.ok(delta(start2, sent2, "im_adapter_messages_received_total", { type: "broadcast" }) >= 5);
    assert.equal(metricValue(sent2, "im_gateway_ready"), 1);
    assert.equal((await fetch(`${gw2().url}/readyz`)).status, 200);

    const beforeSync = await scrape(gw2().url);
    const synced = await b.socket.timeout(5_000).emitWithAck("sync", { cursors: {} });
    assert.ok(synced.ok);
    const afterSync = await scrape(gw2().url);
    assert.equal(delta(beforeSync, afterSync, "im_sync_requests_total"), 1);
    assert.equal(delta(beforeSync, afterSync, "im_sync_messages_served_total"), 3);

    const intruder = new ImClient({ url: gw2().url, token: "not-a-token" });
    world.clients.push(intruder);
    await assert.rejects(intruder.connect(), /TOKEN_INVALID/);
    const anonymous = new ImClient({ url: gw2().url, token: "" });
    world.clients.push(anonymous);
    await assert.rejects(anonymous.connect(), /TOKEN_MISSING/);
    const refused = await scrape(gw2().url);
    assert.equal(delta(afterSync, refused, "im_handshake_failures_total", { reason: "TOKEN_INVALID" }), 1);
    assert.equal(delta(afterSync, refused, "im_handshake_failures_total", { reason: "TOKEN_MISSING" }), 1);
    assert.equal(delta(afterSync, refused, "im_connections_opened_total"), 0);

    alicePc.close();
    let closed = await scrapeUntil(gw1().url, (samples) => metricValue(samples, "im_connected_devices", { resource: "pc" }) === 0);
    assert.equal(metricValue(closed, "im_online_users"), 1, "alice's phone is still here");
    assert.equal(delta(sent1, closed, "im_connections_closed_total", { reason: "client namespace disconnect" }), 1);
    alicePhone.close();
    closed = await scrapeUntil(gw1().url, (samples) => metricValue(samples, "im_online_users") === 0);
    assert.equal(metricValue(closed, "im_connected_devices"), 0);

    const userIds = new Set([alice.userId, bob.userId].map(String));
    for (const sample of [...closed, ...refused].filter((s) => s.name.startsWith("im_"))) {
      for (const [key, value] of Object.entries(sample.labels)) {
        assert.ok(!userIds.has(value), `${sample.name}{${key}} carries a userId`);
        if (key !== "le") assert.doesNotMatch(value, /^\d+$/, `${sample.name}{${key}="${value}"} is numeric`);
      }
    }
  });

  it("measures group fan-out and counts a non-member's refused send", async () => {
    const rooms = new Rooms(world.stack, world.api);
    const [owner, stranger, ...members] = await rooms.users(5);
    const apiBefore = await scrape(world.stack.api.url);
    const roomId = await rooms.room(owner, members);
    const apiAfter = await scrape(world.stack.api.url);
    // Befriending sends friend notices through the API's publisher.
    assert.ok(delta(apiBefore, apiAfter, "im_api_system_messages_total") > 0);
    for (const sample of apiAfter.filter((x) => x.name === "im_api_system_messages_total")) {
      assert.match(sample.labels.type ?? "", /^[a-zA-Z]+$/, "labelled by type name");
      assert.notEqual(sample.labels.type, "unknown");
    }
    const o = await connectClient(world, owner, gw1());
    const s = await connectClient(world, stranger, gw1());
    const before = await scrape(gw1().url);
    await o.send({ chatType: 2, to: roomId, type: messageType.text, content: "hello room" });
    await assert.rejects(s.send({ chatType: 2, to: roomId, type: messageType.text, content: "let me in" }), /NOT_ROOM_MEMBER|member/i);
    const after = await scrape(gw1().url);
    const group = { chat_type: "group" };
    assert.equal(delta(before, after, "im_messages_received_total", { ...group, type: "text" }), 2);
    assert.equal(delta(before, after, "im_messages_stored_total", { ...group, type: "text" }), 1);
    assert.equal(delta(before, after, "im_messages_delivered_total", group), 3, "three members besides the owner");
    assert.equal(delta(before, after, "im_group_fanout_size_count"), 1);
    assert.equal(delta(before, after, "im_group_fanout_size_sum"), 3);
    assert.equal(delta(before, after, "im_group_fanout_size_bucket", { le: "1" }), 0);
    assert.equal(delta(before, after, "im_group_fanout_size_bucket", { le: "5" }), 1);
    assert.equal(delta(before, after, "im_messages_rejected_total", { reason: "NOT_ROOM_MEMBER" }), 1);
  });
});
