import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { loginHelpers } from "../support/login.js";
import { counterValue, dataOf, fcmMessage, type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway, registerUser } from "../support/realtime.js";
import type { TestUser } from "../support/users.js";

/** Offline push end to end: a real API and gateway queue events, the push app sends to local provider servers. */
describe("offline push delivery", () => {
  let world: PushWorld;
  const { loginOk } = loginHelpers(() => world.api);
  before(async () => {
    world = await startPushWorld();
  });
  after(() => world?.stop());

  /** A second session of `user` (another phone), as its own TestUser carrying that session's token. */
  let sessions = 0;
  const otherSession = async (user: TestUser, resource: string): Promise<TestUser> => {
    sessions += 1;
    const login = await loginOk(user, { resource, deviceId: `${resource}-${sessions}` });
    return { ...user, token: login.accessToken };
  };
  const apnsTo = (token: string) => world.fakes.apns.requests.filter((r) => r.deviceToken === token && r.status === 200);
  const fcmTo = (token: string) => world.fakes.fcm.requests.filter((r) => r.deviceToken === token && r.status === 200);

  it("online → no push; offline → one push per registered device, through every provider", async () => {
    const alice = await registerUser(world.stack, world.api, { nickname: "Alice" });
    const bob = await registerUser(world.stack, world.api);
    const carol = await registerUser(world.stack, world.api);
    const bobApns = await registerDevice(world.api, bob, "apns");
    const bobVoip = await registerDevice(world.api, bob, "apns-voip");
    const bobFcm = await registerDevice(world.api, await otherSession(bob, "android"), "fcm");
    const bobHuawei = await registerDevice(world.api, await otherSession(bob, "android"), "huawei", { appId: "com.example.im" });
    const bobXiaomi = await registerDevice(world.api, await otherSession(bob, "android"), "xiaomi", { appId: "com.example.im" });
    const carolFcm = await registerDevice(world.api, carol, "fcm");
    const a = await connectClient(world, alice, gateway(world, 0));
    await connectClient(world, carol, gateway(world, 0));
    const onlineBefore = await counterValue(world.push, "im_push_skipped_total", { reason: "online" });

    let toBob = "";
    await world.settle(2, async () => {
      toBob = (await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "hello bob" })).messageId;
      await a.send({ chatType: 1, to: String(carol.userId), type: messageType.text, content: "hi carol" });
    });

    const [alert] = apnsTo(bobApns);
    assert.equal(apnsTo(bobApns).length, 1, "one APNs alert");
    assert.equal(alert?.headers["apns-push-type"], "alert");
    assert.equal(alert?.headers["apns-topic"], "com.example.im");
    assert.ok(alert);
    const aps = (alert.payload as { aps: { alert: { title: string; body: string }; badge: number } }).aps;
    assert.deepEqual(aps.alert, { title: "Alice", body: "hello bob" });
    assert.equal(aps.badge, 1);
    assert.equal(dataOf(alert?.payload).messageId, toBob);
    assert.equal(apnsTo(bobVoip).length, 0, "no alert to the VoIP token");
    assert.equal(fcmTo(bobFcm).length, 1, "one FCM message");
    assert.equal(dataOf(fcmTo(bobFcm)[0]?.body).messageId, toBob);
    assert.equal(world.fakes.huawei.requests.filter((r) => r.tokens.includes(bobHuawei) && r.code === "80000000").length, 1);
    assert.equal(world.fakes.xiaomi.requests.filter((r) => r.regIds.includes(bobXiaomi) && r.code === 0).length, 1);
    assert.equal(fcmTo(carolFcm).length, 0, "carol is online: nothing");
    assert.equal(await counterValue(world.push, "im_push_skipped_total", { reason: "online" }), onlineBefore + 1);

    const log = await world.stack.api.deps.models.pushLog.find({ messageId: toBob }).lean();
    assert.deepEqual(log.map((record) => record.provider).sort(), ["apns", "fcm", "huawei", "xiaomi"]);
    assert.ok(log.every((record) => record.outcome === "sent" && record.providerId !== "" && record.userId === bob.userId));
  });

  it("a resent message (same messageId, queued again by the gateway) is pushed once per device", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    const a = await connectClient(world, alice, gateway(world, 0));
    const messageId = crypto.randomUUID();
    const message = { messageId, chatType: 1 as const, to: String(bob.userId), type: messageType.text, content: "once" };
    await world.settle(3, async () => {
      await a.send(message);
      const again = await a.socket.timeout(5_000).emitWithAck("message:send", message);
      assert.equal(again.receipt.duplicate, true);
      await a.socket.timeout(5_000).emitWithAck("message:send", message);
    });
    assert.equal(fcmTo(bobFcm).length, 1);
    assert.equal((await world.stack.api.deps.models.pushLog.find({ messageId }).lean()).length, 1);
    assert.equal((await world.api.get<{ badge: number }>("/v1/push/badge", bob.token)).body.badge, 1, "counted once");
  });

  it("a friend request notifies the requested user (the requester's own copy does not)", async () => {
    const alice = await registerUser(world.stack, world.api, { nickname: "Alice" });
    const bob = await registerUser(world.stack, world.api);
    const aliceFcm = await registerDevice(world.api, alice, "fcm");
    const bobFcm = await registerDevice(world.api, bob, "fcm", { locale: "zh" });
    await world.settle(1, async () => {
      const reply = await world.api.post<{ result: string }>(`/v1/friends/${bob.userId}`, { content: "hi" }, alice.token);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    });
    const [request] = fcmTo(bobFcm);
    assert.deepEqual(fcmMessage(request).notification, { title: "Alice", body: "请求添加你为好友" });
    assert.equal(fcmMessage(request).data.type, "500");
    assert.equal(fcmTo(aliceFcm).length, 0);
  });

  it("hides sender and preview when the recipient turned previews off; texts follow the device's language", async () => {
    const alice = await registerUser(world.stack, world.api, { nickname: "Alice" });
    const bob = await registerUser(world.stack, world.api);
    const mei = await registerUser(world.stack, world.api);
    const bobFcm = await registerDevice(world.api, bob, "fcm", { locale: "en-GB" });
    const meiFcm = await registerDevice(world.api, mei, "fcm", { locale: "zh-TW" });
    const settings = await world.api.patch("/v1/users/me/settings", { pushPreview: 0 }, bob.token);
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.settle(2, async () => {
      await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "the secret plan" });
      await a.send({ chatType: 1, to: String(mei.userId), type: messageType.text, content: "你好" });
    });
    const hidden = fcmTo(bobFcm)[0];
    assert.deepEqual(fcmMessage(hidden).notification, { title: "New message", body: "You have a new message" });
    assert.ok(!JSON.stringify(hidden).includes("secret"), "no preview anywhere in the request");
    assert.ok(!JSON.stringify(hidden).includes("Alice"), "no sender name anywhere in the request");
    assert.deepEqual(fcmMessage(fcmTo(meiFcm)[0]).notification, { title: "Alice", body: "你好" });

    await world.api.patch("/v1/users/me/settings", { pushPreview: 1 }, mei.token);
    await world.api.patch("/v1/users/me/settings", { pushPreview: 0 }, mei.token);
    await world.settle(1, () => a.send({ chatType: 1, to: String(mei.userId), type: messageType.text, content: "再见" }));
    assert.deepEqual(fcmMessage(fcmTo(meiFcm)[1]).notification, { title: "新訊息", body: "你收到一則新訊息" });
  });

  it("counts the badge once per notified message, and the client's reset starts it again", async () => {
    const alice = await registerUser(world.stack, world.api);
    const bob = await registerUser(world.stack, world.api);
    const bobApns = await registerDevice(world.api, bob, "apns");
    const a = await connectClient(world, alice, gateway(world, 0));
    const badges = () => apnsTo(bobApns).map((r) => (r.payload as { aps: { badge: number } }).aps.badge);
    await world.settle(2, async () => {
      await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "one" });
      await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "two" });
    });
    assert.deepEqual(badges().sort(), [1, 2]);
    assert.equal((await world.api.get<{ badge: number }>("/v1/push/badge", bob.token)).body.badge, 2);
    const reset = await world.api.call("PUT", "/v1/push/badge", { body: { badge: 0 }, token: bob.token });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await world.settle(1, () => a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "three" }));
    assert.equal(badges().at(-1), 1);
  });

  it("call invites go as VoIP on iOS and high-priority data on Android; the end and an answer elsewhere cancel", async () => {
    const alice = await registerUser(world.stack, world.api, { nickname: "Alice" });
    const bob = await registerUser(world.stack, world.api);
    const bobApns = await registerDevice(world.api, bob, "apns");
    const bobVoip = await registerDevice(world.api, bob, "apns-voip");
    const bobFcm = await registerDevice(world.api, await otherSession(bob, "android"), "fcm");
    const a = await connectClient(world, alice, gateway(world, 0));
    const to = String(bob.userId);

    let invite = "";
    await world.settle(1, async () => {
      invite = (await a.send({ chatType: 1, to, type: messageType.videoCallAsk, content: '{"roomId":"call-7"}' })).messageId;
    });
    assert.equal(apnsTo(bobApns).length, 0, "no alert for a call on iOS");
    const [voip] = apnsTo(bobVoip);
    assert.equal(voip?.headers["apns-push-type"], "voip");
    assert.equal(voip?.headers["apns-topic"], "com.example.im.voip");
    assert.equal(voip?.headers["apns-priority"], "10");
    assert.equal(dataOf(voip?.payload).messageId, invite);
    assert.equal(dataOf(voip?.payload).kind, "call");
    const android = fcmMessage(fcmTo(bobFcm)[0]);
    assert.equal(android.android.priority, "HIGH");
    assert.equal(android.notification, undefined, "a data message, so the app rings itself");
    assert.equal(android.data.kind, "call");
    const callTtl = Number(voip?.headers["apns-expiration"]) * 1000 - Date.now();
    assert.ok(callTtl > 0 && callTtl <= 60_000, `a call invite lives a minute at most (${callTtl} ms)`);

    await world.settle(1, () => a.send({ chatType: 1, to, type: messageType.videoCallEnd, content: '{"seconds":0}' }));
    assert.equal(apnsTo(bobVoip).length, 2);
    assert.equal(dataOf(apnsTo(bobVoip)[1]?.payload).kind, "call-cancel");
    assert.equal(fcmMessage(fcmTo(bobFcm)[1]).data.kind, "call-cancel");

    // Bob answers a second call on a desktop session: his ringing phones are told to stop, online or not.
    await world.settle(1, () => a.send({ chatType: 1, to, type: messageType.voiceCallAsk, content: '{"roomId":"call-8"}' }));
    const desk = await connectClient(world, await otherSession(bob, "pc"), gateway(world, 0), { resource: "pc" });
    await world.settle(1, () => desk.send({ chatType: 1, to: String(alice.userId), type: messageType.voiceCallAccept, content: "" }));
    assert.equal(apnsTo(bobVoip).length, 4, "invite + cancel of the second call");
    assert.equal(dataOf(apnsTo(bobVoip)[3]?.payload).kind, "call-cancel");
    assert.equal(fcmTo(bobFcm).length, 4);
    assert.equal(apnsTo(bobApns).length, 0);
  });
});
