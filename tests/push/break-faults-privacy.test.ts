import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { counterValue, fcmMessage, type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway, registerUser } from "../support/realtime.js";

const until = async (what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Privacy races (break-faults): what changed between planning a notification and sending it. */
describe("offline push privacy races (break-faults)", () => {
  let world: PushWorld;
  before(async () => {
    world = await startPushWorld({ PUSH_MAX_DELIVERIES: "5" });
  });
  after(() => world?.stop());

  it("a token that moved to another user while a send waited out a Retry-After never carries the first user's preview", async () => {
    const alice = await registerUser(world.stack, world.api, { nickname: "Alice" });
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    // FCM throttles the phone's token: Bob's notification is planned and waits out a Retry-After.
    world.fakes.fcm.script.forToken(phone, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 1 });
    const a = await connectClient(world, alice, gateway(world, 0));
    const movedBefore = await counterValue(world.push, "im_push_skipped_total", { reason: "device_moved" });
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "bob's secret" });
    const toPhone = () => world.fakes.fcm.requests.filter((r) => r.deviceToken === phone);
    await until("the throttled request", () => toPhone().length >= 1);
    // Carol signs in on Bob's phone (Bob's session there was never logged out) and registers the same token.
    await registerDevice(world.api, carol, "fcm", { token: phone });
    world.fakes.fcm.script.clear();
    await world.settle(0, async () => {});
    const accepted = toPhone().filter((r) => r.status === 200);
    for (const request of accepted) {
      const message = fcmMessage(request);
      assert.ok(!JSON.stringify(message).includes("bob's secret"), "Bob's preview reached Carol's registration");
    }
    assert.equal(accepted.length, 0);
    assert.equal(await counterValue(world.push, "im_push_skipped_total", { reason: "device_moved" }), movedBefore + 1);
  });

  it("a session logged out while its notification waited out a Retry-After gets nothing more", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    world.fakes.fcm.script.forToken(phone, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 1 });
    const a = await connectClient(world, alice, gateway(world, 0));
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "after logout" });
    const toPhone = () => world.fakes.fcm.requests.filter((r) => r.deviceToken === phone);
    await until("the throttled request", () => toPhone().length >= 1);
    assert.equal((await world.api.post("/v1/auth/logout", undefined, bob.token)).status, 204);
    world.fakes.fcm.script.clear();
    await world.settle(0, async () => {});
    assert.deepEqual(
      toPhone().map((r) => r.status),
      [429],
      "nothing after the logout",
    );
  });
  it("a device its owner removed while a send waited out a Retry-After gets nothing more", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const phone = await registerDevice(world.api, bob, "fcm");
    world.fakes.fcm.script.forToken(phone, { status: 429, errorCode: "QUOTA_EXCEEDED", retryAfterSeconds: 1 });
    const a = await connectClient(world, alice, gateway(world, 0));
    await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "after removal" });
    const toPhone = () => world.fakes.fcm.requests.filter((r) => r.deviceToken === phone);
    await until("the throttled request", () => toPhone().length >= 1);
    const listed = await world.api.get<{ items: Array<{ id: string }> }>("/v1/push/devices", bob.token);
    const id = listed.body.items[0]?.id ?? "";
    assert.equal((await world.api.delete(`/v1/push/devices/${id}`, bob.token)).status, 204);
    world.fakes.fcm.script.clear();
    await world.settle(0, async () => {});
    assert.deepEqual(
      toPhone().map((r) => r.status),
      [429],
      "nothing after the removal",
    );
  });
});
