import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { messageType } from "@im/protocol";
import { counterValue, dataOf, fcmMessage, type PushWorld, registerDevice, startPushWorld } from "../support/push.js";
import { connectClient, gateway } from "../support/realtime.js";
import type { TestUser } from "../support/users.js";

/** Every do-not-disturb level, end to end: what is silenced, and what an @mention passes. */
describe("offline push silences", () => {
  let world: PushWorld;
  before(async () => {
    world = await startPushWorld();
  });
  after(() => world?.stop());

  /** FCM requests answered 200 for a token, as the app data they carried. */
  const pushed = (token: string) =>
    world.fakes.fcm.requests
      .filter((r) => r.deviceToken === token && r.status === 200)
      .map((r) => ({ data: dataOf(r.body), body: r.body }));
  const ok = (reply: { status: number; body: unknown }) => assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const skipped = (reason: string) => counterValue(world.push, "im_push_skipped_total", { reason });

  it("offlineNoPush silences everything, friend do-not-disturb silences that friend only", async () => {
    const [alice, bob, carol] = await world.rooms.users(3);
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    await world.settle(2, () => world.rooms.befriend(bob, alice, carol)); // 508 "added you" notices to alice and carol
    ok(await world.api.patch(`/v1/friends/${alice.userId}`, { offlineNoPushMsg: 1 }, bob.token));
    const a = await connectClient(world, alice, gateway(world, 0));
    const c = await connectClient(world, carol, gateway(world, 0));
    const friendDnd = await skipped("friend_dnd");
    let fromCarol = "";
    await world.settle(2, async () => {
      await a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "from a muted friend" });
      fromCarol = (await c.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "from carol" })).messageId;
    });
    assert.deepEqual(
      pushed(bobFcm).map((p) => p.data.messageId),
      [fromCarol],
    );
    assert.equal(await skipped("friend_dnd"), friendDnd + 1);

    ok(await world.api.patch("/v1/users/me/settings", { offlineNoPush: 1 }, bob.token));
    const noPush = await skipped("offline_no_push");
    await world.settle(1, () => c.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "nothing" }));
    assert.equal(pushed(bobFcm).length, 1, "no push at all");
    assert.equal(await skipped("offline_no_push"), noPush + 1);
  });

  it("room do-not-disturb and muted conversations; @mentions pass them when the user allows it", async () => {
    const users = await world.rooms.users(5);
    const [owner, bob, carol, dave, erin] = users;
    const tokens = new Map<number, string>();
    for (const user of [bob, carol, dave, erin]) tokens.set(user.userId, await registerDevice(world.api, user, "fcm"));
    const token = (user: TestUser) => tokens.get(user.userId) ?? "";
    // 4 friend notices (508) + one 907 "added" notice to the four members.
    let roomId = "";
    await world.settle(5, async () => {
      roomId = await world.rooms.room(owner, [bob, carol, dave, erin]);
    });
    const conversationId = `g_${roomId}`;
    for (const user of [bob, carol, dave, erin]) {
      const invited = pushed(token(user)).filter((p) => p.data.type === "907");
      assert.equal(invited.length, 1, "told once of being added to the room");
      assert.deepEqual(fcmMessage(invited[0]).notification, { title: "room", body: "You were added to the group" });
    }
    ok(await world.rooms.putMember(bob, roomId, bob.userId, { offlineNoPushMsg: 1 }));
    ok(await world.api.call("PUT", `/v1/push/mutes/${conversationId}`, { token: carol.token }));
    ok(await world.rooms.putMember(dave, roomId, dave.userId, { offlineNoPushMsg: 1 }));
    ok(await world.api.patch("/v1/users/me/settings", { pushMentions: 0 }, dave.token));
    const o = await connectClient(world, owner, gateway(world, 0));
    const inRoom = (user: TestUser) => pushed(token(user)).filter((p) => p.data.conversationId === conversationId && p.data.type === "1");
    const before = { room: await skipped("room_dnd"), muted: await skipped("conversation_muted") };

    await world.settle(1, () => o.send({ chatType: 2, to: roomId, type: messageType.text, content: "plain" }));
    assert.equal(inRoom(bob).length, 0, "room do-not-disturb");
    assert.equal(inRoom(carol).length, 0, "muted conversation");
    assert.equal(inRoom(dave).length, 0, "room do-not-disturb");
    assert.equal(inRoom(erin).length, 1, "nothing silences erin");
    const title = fcmMessage(inRoom(erin)[0]).notification;
    assert.deepEqual(title, { title: "room", body: `${owner.nickname}: plain` });
    assert.equal(await skipped("room_dnd"), before.room + 2);
    assert.equal(await skipped("conversation_muted"), before.muted + 1);

    await world.settle(1, () =>
      o.send({
        chatType: 2,
        to: roomId,
        type: messageType.text,
        content: "@bob @carol @dave",
        atUserIds: [bob.userId, carol.userId, dave.userId],
      }),
    );
    assert.equal(inRoom(bob).length, 1, "a mention passes the room's do-not-disturb");
    assert.equal(inRoom(carol).length, 1, "a mention passes a muted room");
    assert.equal(inRoom(dave).length, 0, "not for a user who turned pushMentions off");
    const mentioned = fcmMessage(inRoom(bob)[0]).notification?.body ?? "";
    assert.ok(mentioned.startsWith("[Mentioned]"), mentioned);

    await world.settle(1, () => o.send({ chatType: 2, to: roomId, type: messageType.text, content: "@all", atAll: true }));
    assert.equal(inRoom(bob).length, 2, "@all passes too");
    assert.equal(inRoom(dave).length, 0);
    assert.equal(inRoom(erin).length, 3);
  });

  it("a muted single chat stays silent; unmuting brings pushes back", async () => {
    const [alice, bob] = await world.rooms.users(2);
    const bobFcm = await registerDevice(world.api, bob, "fcm");
    const low = Math.min(alice.userId, bob.userId);
    const high = Math.max(alice.userId, bob.userId);
    const conversationId = `s_${low}_${high}`;
    ok(await world.api.call("PUT", `/v1/push/mutes/${conversationId}`, { token: bob.token }));
    const a = await connectClient(world, alice, gateway(world, 0));
    await world.settle(1, () => a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "muted" }));
    assert.equal(pushed(bobFcm).length, 0);
    const unmuted = await world.api.delete(`/v1/push/mutes/${conversationId}`, bob.token);
    assert.equal(unmuted.status, 204, JSON.stringify(unmuted.body));
    await world.settle(1, () => a.send({ chatType: 1, to: String(bob.userId), type: messageType.text, content: "unmuted" }));
    assert.equal(pushed(bobFcm).length, 1);
    assert.equal(pushed(bobFcm)[0]?.data.conversationId, conversationId);
  });
});
