import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { dataOf, fcmMessage, type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway } from "../support/realtime.js";

/**
 * The breaker "client" (issue 12): a client written from docs/messaging.md "Offline push" alone, checking
 * what reaches the local provider servers when it is hostile or privacy-minded.
 */
describe("offline push, a hostile client", () => {
  let world: PushWorld;
  before(async () => {
    world = await startPushWorld();
  });
  after(() => world?.stop());

  /** FCM requests answered 200 for a token. */
  const fcmTo = (token: string) => world.fakes.fcm.requests.filter((r) => r.deviceToken === token && r.status === 200);
  const xiaomiTo = (token: string) => world.fakes.xiaomi.requests.filter((r) => r.regIds.includes(token));

  it("a burn-after-reading or encrypted text never shows its content in a push (FCM and Xiaomi)", async () => {
    const [alice, bob] = await world.rooms.users(2);
    const fcm = await registerDevice(world.api, bob, "fcm", { locale: "en" });
    await world.settle(1, () => world.rooms.befriend(alice, bob)); // 508 "added you" to bob
    const mi = await registerDevice(world.api, bob, "xiaomi", { locale: "en" });
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.settle(2, async () => {
      await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "burn secret 42", isReadDel: true });
      await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "cipher secret 43", isEncrypt: true });
    });
    const texts = fcmTo(fcm).filter((r) => dataOf(r.body).type === "1");
    assert.equal(texts.length, 2, "both notify");
    for (const request of texts) {
      const shown = JSON.stringify(fcmMessage(request).notification);
      assert.ok(!shown.includes("secret"), `FCM shows the content: ${shown}`);
      assert.equal(fcmMessage(request).notification?.title, alice.nickname);
    }
    const mis = xiaomiTo(mi).filter((r) => r.fields.pass_through === "0");
    assert.equal(mis.length, 2);
    for (const request of mis) {
      assert.ok(!`${request.fields.title} ${request.fields.description}`.includes("secret"), JSON.stringify(request.fields));
    }
  });

  it("a user I blocked does not reach me through push in a room, not even with an @mention past my do-not-disturb", async () => {
    const [owner, troll, victim] = await world.rooms.users(3);
    const token = await registerDevice(world.api, victim, "fcm", { locale: "en" });
    let roomId = "";
    await world.settle(3, async () => {
      roomId = await world.rooms.room(owner, [troll, victim]); // 508 to troll and victim, 907 to both
    });
    const blocked = await world.api.post(`/v1/blacklist/${troll.userId}`, {}, victim.token);
    assert.equal(blocked.status, 204, JSON.stringify(blocked.body));
    const t = await connectClient(world, troll, gateway(world, 0));
    const o = await connectClient(world, owner, gateway(world, 0));
    const inRoom = () => fcmTo(token).filter((r) => dataOf(r.body).conversationId === `g_${roomId}` && dataOf(r.body).type === "1");

    let fromOwner = "";
    await world.settle(2, async () => {
      await t.send({ chatType: 2, to: roomId, type: messageType.text, content: "troll plain" });
      fromOwner = (await o.send({ chatType: 2, to: roomId, type: messageType.text, content: "owner plain" })).messageId;
    });
    assert.deepEqual(
      inRoom().map((r) => dataOf(r.body).messageId),
      [fromOwner],
      "the owner's message is pushed, the blocked troll's is not",
    );

    const dnd = await world.rooms.putMember(victim, roomId, victim.userId, { offlineNoPushMsg: 1 });
    assert.equal(dnd.status, 200, JSON.stringify(dnd.body));
    await world.settle(1, () =>
      t.send({ chatType: 2, to: roomId, type: messageType.text, content: "@victim look", atUserIds: [victim.userId] }),
    );
    assert.equal(inRoom().length, 1, "a blocked user's @mention does not pass do-not-disturb");
    const bodies = inRoom().map((r) => fcmMessage(r).notification?.body ?? "");
    assert.ok(
      bodies.every((body) => !body.includes("troll")),
      bodies.join(" | "),
    );
  });

  it("the title names the sender as the server knows them, not the fromUserName the client wrote", async () => {
    const [alice, bob] = await world.rooms.users(2);
    const fcm = await registerDevice(world.api, bob, "fcm", { locale: "en" });
    await world.settle(1, () => world.rooms.befriend(alice, bob));
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.settle(1, () =>
      a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "send me the code", fromUserName: "Your Bank" }),
    );
    const texts = fcmTo(fcm).filter((r) => dataOf(r.body).type === "1");
    assert.equal(texts.length, 1);
    assert.deepEqual(fcmMessage(texts[0]).notification, { title: alice.nickname, body: "send me the code" });
  });

  it("a resend with another mention list mentions whom the stored message mentions", async () => {
    const [owner, bob, carol] = await world.rooms.users(3);
    const tokens = [await registerDevice(world.api, bob, "fcm"), await registerDevice(world.api, carol, "fcm")];
    let roomId = "";
    await world.settle(3, async () => {
      roomId = await world.rooms.room(owner, [bob, carol]);
    });
    for (const user of [bob, carol]) {
      const dnd = await world.rooms.putMember(user, roomId, user.userId, { offlineNoPushMsg: 1 });
      assert.equal(dnd.status, 200, JSON.stringify(dnd.body));
    }
    const o = await connectClient(world, owner, gateway(world, 0));
    const messageId = crypto.randomUUID();
    const send = (atUserIds: number[]) => o.send({ messageId, chatType: 2, to: roomId, type: messageType.text, content: "hi", atUserIds });
    await world.settle(2, async () => {
      await send([bob.userId]);
      const again = await send([carol.userId]);
      assert.equal(again.duplicate, true);
    });
    const inRoom = (token: string) => fcmTo(token).filter((r) => dataOf(r.body).messageId === messageId);
    assert.equal(inRoom(tokens[0] ?? "").length, 1, "bob, mentioned by the stored message");
    assert.equal(inRoom(tokens[1] ?? "").length, 0, "carol, named by the resend only, stays silenced");
  });

  it("a text of blanks only still says something: the placeholder, not an empty body", async () => {
    const [alice, bob] = await world.rooms.users(2);
    const fcm = await registerDevice(world.api, bob, "fcm", { locale: "en" });
    await world.settle(1, () => world.rooms.befriend(alice, bob));
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.settle(1, () => a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: " \n\t\u3000 " }));
    const texts = fcmTo(fcm).filter((r) => dataOf(r.body).type === "1");
    assert.equal(texts.length, 1);
    assert.deepEqual(fcmMessage(texts[0]).notification, { title: alice.nickname, body: "[Message]" });
  });

  it("emoji names and texts are cut whole, every provider takes the payload (zh, en, zh-TW)", async () => {
    const owner = await world.rooms.user("👩‍👩‍👧‍👦".repeat(2) + "😀".repeat(10));
    const bob = await world.rooms.user();
    const tokens = {
      apns: await registerDevice(world.api, bob, "apns", { locale: "zh-TW" }),
      fcm: await registerDevice(world.api, bob, "fcm", { locale: "en" }),
      huawei: await registerDevice(world.api, bob, "huawei", { locale: "zh" }),
      xiaomi: await registerDevice(world.api, bob, "xiaomi", { locale: "zh-Hant" }),
    };
    let roomId = "";
    await world.settle(2, async () => {
      roomId = await world.rooms.room(owner, [bob], { name: "🏳️‍🌈".repeat(10) + "房".repeat(4) });
    });
    const o = await connectClient(world, owner, gateway(world, 0));
    const content = "a".repeat(97) + "👨‍👩‍👧".repeat(40);
    const sent = await (async () => {
      let id = "";
      await world.settle(1, async () => {
        id = (await o.send({ chatType: 2, to: roomId, type: messageType.text, content, atUserIds: [bob.userId] })).messageId;
      });
      return id;
    })();
    const apns = world.fakes.apns.requests.filter((r) => r.deviceToken === tokens.apns && dataOf(r.payload).messageId === sent);
    const fcm = fcmTo(tokens.fcm).filter((r) => dataOf(r.body).messageId === sent);
    const huawei = world.fakes.huawei.requests.filter((r) => r.tokens.includes(tokens.huawei) && JSON.stringify(r.body).includes(sent));
    const xiaomi = xiaomiTo(tokens.xiaomi).filter((r) => r.fields.payload?.includes(sent));
    assert.deepEqual([apns.length, fcm.length, huawei.length, xiaomi.length], [1, 1, 1, 1]);
    assert.equal(apns[0]?.status, 200, apns[0]?.reason);
    assert.equal(huawei[0]?.code, "80000000");
    assert.equal(xiaomi[0]?.code, 0);
    const shown = [
      JSON.stringify((apns[0]?.payload as { aps?: unknown } | undefined)?.aps),
      JSON.stringify(fcmMessage(fcm[0]).notification),
      JSON.stringify((huawei[0]?.body as { message?: { android?: unknown } } | undefined)?.message?.android),
      `${xiaomi[0]?.fields.title} ${xiaomi[0]?.fields.description}`,
    ];
    for (const text of shown) {
      assert.ok(JSON.parse(JSON.stringify(text)).isWellFormed(), text);
      assert.ok(!/\\ud[89a-f]/i.test(text), `an escaped lone surrogate: ${text}`);
      assert.ok(!/(\u200d|\\u200d)…/.test(text), `an emoji cut inside its sequence (a dangling joiner): ${text}`);
    }
    assert.ok(shown[0]?.includes("[有人@我]"), shown[0]);
    assert.ok(shown[1]?.includes("[Mentioned]"), shown[1]);
    assert.ok(shown[2]?.includes("[有人@我]"), shown[2]);
    assert.ok(shown[3]?.includes("[有人@我]"), shown[3]);
  });
});
