import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { counterValue, type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway, registerUser } from "../support/realtime.js";
import type { TestUser } from "../support/users.js";

/** What providers answer decides: dead tokens are pruned, refusals retried (within limits), late ones expire. */
describe("offline push pruning and retries", () => {
  let world: PushWorld;
  before(async () => {
    // Provider clients do not retry themselves here: every retry is the worker's (pending entry re-claimed).
    world = await startPushWorld({ PUSH_MAX_DELIVERIES: "3", PUSH_CALL_TTL_SECONDS: "2" });
  });
  after(() => world?.stop());

  const logOf = (messageId: string) => world.stack.api.deps.models.pushLog.find({ messageId }).lean();
  const devicesOf = async (user: TestUser) => {
    const reply = await world.api.get<{ items: Array<{ provider: string }> }>("/v1/push/devices", user.token);
    assert.equal(reply.status, 200);
    return reply.body.items.map((item) => item.provider).sort();
  };
  const send = async (from: TestUser, to: TestUser, content: string, type: number = messageType.text) => {
    const client = await connectClient(world, from, gateway(world, 0));
    let messageId = "";
    await world.settle(1, async () => {
      messageId = (await client.send({ chatType: 1, to: String(to.userId), type, content })).messageId;
    });
    return messageId;
  };

  it("prunes a token APNs calls Unregistered and one FCM calls UNREGISTERED; the push log says so", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobApns = await registerDevice(world.api, bob, "apns");
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    world.fakes.apns.script.forToken(bobApns, { status: 410, reason: "Unregistered", timestamp: Date.now() });
    world.fakes.fcm.script.forToken(bobFcm, { status: 404, errorCode: "UNREGISTERED" });
    const prunedBefore = await counterValue(world.push, "im_push_tokens_pruned_total", { provider: "apns", reason: "Unregistered" });
    const messageId = await send(alice, bob, "to dead tokens");
    assert.deepEqual(await devicesOf(bob), [], "both tokens removed");
    const log = await logOf(messageId);
    assert.deepEqual(log.map((record) => [record.provider, record.outcome, record.reason]).sort(), [
      ["apns", "pruned", "Unregistered"],
      ["fcm", "pruned", "UNREGISTERED"],
    ]);
    assert.equal(
      await counterValue(world.push, "im_push_tokens_pruned_total", { provider: "apns", reason: "Unregistered" }),
      prunedBefore + 1,
    );
    world.fakes.apns.script.clear();
    world.fakes.fcm.script.clear();
    await send(alice, bob, "nothing left to send to");
    assert.equal(world.fakes.apns.requests.filter((r) => r.deviceToken === bobApns).length, 1, "never asked again");
  });

  it("retries a refused send by re-claiming its entry, waits a provider's Retry-After, then logs it sent once", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    world.fakes.fcm.script.next({ status: 503 }, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 2 });
    const retried = await counterValue(world.push, "im_push_notifications_total", { provider: "fcm", kind: "alert", outcome: "retried" });
    const messageId = await send(alice, bob, "eventually");
    const requests = world.fakes.fcm.requests.filter((r) => r.deviceToken === bobFcm);
    assert.deepEqual(
      requests.map((r) => r.status),
      [503, 429, 200],
    );
    const [, quota, accepted] = requests;
    assert.ok((accepted?.time ?? 0) - (quota?.time ?? 0) >= 1_900, "Retry-After honoured");
    const [record] = await logOf(messageId);
    assert.equal(record?.outcome, "sent");
    assert.equal(record?.attempts, 3);
    assert.equal(
      await counterValue(world.push, "im_push_notifications_total", { provider: "fcm", kind: "alert", outcome: "retried" }),
      retried + 2,
    );
  });

  it("gives up after PUSH_MAX_DELIVERIES attempts and logs failed", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobApns = await registerDevice(world.api, bob, "apns");
    world.fakes.apns.script.forToken(bobApns, { status: 503, reason: "ServiceUnavailable" });
    const messageId = await send(alice, bob, "never");
    world.fakes.apns.script.clear();
    assert.equal(world.fakes.apns.requests.filter((r) => r.deviceToken === bobApns).length, 3);
    const [record] = await logOf(messageId);
    assert.equal(record?.outcome, "failed");
    assert.equal(record?.attempts, 3);
    assert.deepEqual(await devicesOf(bob), ["apns"], "a failure is not a prune");
  });

  it("a call invite the provider could not take within its lifetime is logged expired, not sent late", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    world.fakes.fcm.script.next({ status: 503, retryAfterSeconds: 3 });
    const messageId = await send(alice, bob, '{"roomId":"late"}', messageType.voiceCallAsk);
    assert.deepEqual(
      world.fakes.fcm.requests.filter((r) => r.deviceToken === bobFcm).map((r) => r.status),
      [503],
    );
    const [record] = await logOf(messageId);
    assert.equal(record?.outcome, "expired");
  });

  it("skips and removes a device whose session lapsed", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    const device = await world.stack.api.deps.models.pushDevices.findOne({ token: bobFcm }).lean();
    assert.ok(device);
    // The session's key lapsing in Redis (its TTL) is how a session ends without a logout.
    await world.redis.del(`auth:session:${device.tokenHash}`);
    const ended = await counterValue(world.push, "im_push_skipped_total", { reason: "session_ended" });
    await send(alice, bob, "to nobody");
    assert.equal(world.fakes.fcm.requests.filter((r) => r.deviceToken === bobFcm).length, 0);
    assert.equal(await world.stack.api.deps.models.pushDevices.countDocuments({ token: bobFcm }), 0);
    assert.equal(await counterValue(world.push, "im_push_skipped_total", { reason: "session_ended" }), ended + 1);
  });
});
