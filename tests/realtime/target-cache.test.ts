import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ImClient } from "@im/client";
import { claimVersion, readVersion, roomVersionKey, userVersionKey, withVersionBump } from "@im/data";
import { messageType } from "@im/protocol";
import { metricValue, scrape } from "../support/prometheus.js";
import { collect, connectClient, eventually, gateway, type RealtimeWorld, sendOutcome, startRealtime, texts } from "../support/realtime.js";
import { expectStatus, Rooms } from "../support/rooms.js";
import type { TestUser } from "../support/users.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The gateways cache recipients and rooms (apps/gateway/src/targets/caches.ts). Every test warms the caches
 * of both gateway processes first, then changes something through the API and checks that the very next
 * send on each gateway sees the change: the caches are exact, never stale.
 */
describe("send authorisation caches across two gateway processes", () => {
  let world: RealtimeWorld;
  let r: Rooms;
  before(async () => {
    world = await startRealtime(2, { API_SMS_REQUIRED: "false" });
    r = new Rooms(world.stack, world.api);
  });
  after(() => world.stop());

  const gw = (i: number) => gateway(world, i);
  const single = (client: ImClient, to: TestUser, content: string) =>
    sendOutcome(client.send({ chatType: 1, to: String(to.userId), type: messageType.text, content }));
  const group = (client: ImClient, roomId: string, content: string) =>
    sendOutcome(client.send({ chatType: 2, to: roomId, type: messageType.text, content }));
  const cacheCount = async (i: number, kind: string, result: string) =>
    metricValue(await scrape(gw(i).url), "im_gateway_target_cache_total", { kind, result });

  it("answers repeated sends from the cache: one MongoDB load per entity and gateway, then hits", async () => {
    const [alice, bob, carol] = await r.users(3);
    const roomId = await r.room(alice, [bob, carol]);
    const a = await connectClient(world, alice, gw(0));
    const bobInbox = collect(await connectClient(world, bob, gw(1)));
    const [userHits, userMisses, roomHits, roomMisses] = await Promise.all([
      cacheCount(0, "user", "hit"),
      cacheCount(0, "user", "miss"),
      cacheCount(0, "room", "hit"),
      cacheCount(0, "room", "miss"),
    ]);
    for (let i = 1; i <= 4; i++) assert.equal(await single(a, bob, `dm-${i}`), "sent");
    for (let i = 1; i <= 4; i++) assert.equal(await group(a, roomId, `room-${i}`), "sent");
    assert.equal((await cacheCount(0, "user", "miss")) - userMisses, 1, "bob loaded once");
    assert.equal((await cacheCount(0, "user", "hit")) - userHits, 3, "then served from the cache");
    assert.equal((await cacheCount(0, "room", "miss")) - roomMisses, 1, "the room loaded once");
    assert.equal((await cacheCount(0, "room", "hit")) - roomHits, 3);
    await eventually("bob gets everything", () => texts(bobInbox).length === 8);
    assert.deepEqual(texts(bobInbox), ["dm-1", "dm-2", "dm-3", "dm-4", "room-1", "room-2", "room-3", "room-4"]);
  });

  it("blocking refuses the very next single-chat send on every gateway; unblocking lets it through again", async () => {
    const [alice, bob] = await r.users(2);
    const alice1 = await connectClient(world, alice, gw(0));
    const alice2 = await connectClient(world, alice, gw(1), { resource: "pc" });
    const bobInbox = collect(await connectClient(world, bob, gw(1)));
    assert.equal(await single(alice1, bob, "warm-1"), "sent");
    assert.equal(await single(alice2, bob, "warm-2"), "sent");
    const hits = await cacheCount(0, "user", "hit");
    assert.equal(await single(alice1, bob, "warm-3"), "sent");
    assert.equal((await cacheCount(0, "user", "hit")) - hits, 1, "gateway 1 has bob cached");

    expectStatus(await world.api.post(`/v1/blacklist/${alice.userId}`, undefined, bob.token), 204);
    assert.equal(await single(alice1, bob, "blocked-1"), "BLOCKED_BY_USER");
    assert.equal(await single(alice2, bob, "blocked-2"), "BLOCKED_BY_USER");
    expectStatus(await world.api.delete(`/v1/blacklist/${alice.userId}`, bob.token), 204);
    assert.equal(await single(alice1, bob, "back-1"), "sent");
    assert.equal(await single(alice2, bob, "back-2"), "sent");
    await eventually("bob gets the allowed messages", () => texts(bobInbox).length === 5);
    await pause(200);
    assert.deepEqual(texts(bobInbox), ["warm-1", "warm-2", "warm-3", "back-1", "back-2"]);
  });

  it("a kick and a leave refuse the removed member's next send and stop delivery to them at once", async () => {
    const [owner, kicked, leaver, stays] = await r.users(4);
    const roomId = await r.room(owner, [kicked, leaver, stays]);
    const ownerClient = await connectClient(world, owner, gw(0));
    const kickedClient = await connectClient(world, kicked, gw(1));
    const leaverClient = await connectClient(world, leaver, gw(0));
    const kickedInbox = collect(kickedClient);
    const staysInbox = collect(await connectClient(world, stays, gw(1)));
    // Both gateways load the room.
    assert.equal(await group(ownerClient, roomId, "warm-owner"), "sent");
    assert.equal(await group(kickedClient, roomId, "warm-kicked"), "sent");
    assert.equal(await group(leaverClient, roomId, "warm-leaver"), "sent");
    await eventually("the warm-up reaches the kicked member", () => texts(kickedInbox).length === 2);

    expectStatus(await r.remove(owner, roomId, kicked.userId), 204);
    assert.equal(await group(kickedClient, roomId, "after kick"), "NOT_ROOM_MEMBER");
    assert.equal(await group(ownerClient, roomId, "not for the kicked"), "sent");
    expectStatus(await r.remove(leaver, roomId, leaver.userId), 204);
    assert.equal(await group(leaverClient, roomId, "after leave"), "NOT_ROOM_MEMBER");
    await eventually("the remaining member gets the owner's message", () => texts(staysInbox).includes("not for the kicked"));
    await pause(300);
    assert.deepEqual(texts(kickedInbox), ["warm-owner", "warm-leaver"], "nothing after the kick reaches the kicked member");
  });

  it("a new member gets the very next group message and may send at once", async () => {
    const [owner, member, joiner] = await r.users(3);
    const roomId = await r.room(owner, [member], { isPublic: 1 });
    const ownerClient = await connectClient(world, owner, gw(0));
    const memberClient = await connectClient(world, member, gw(1));
    const joinerClient = await connectClient(world, joiner, gw(1));
    const joinerInbox = collect(joinerClient);
    assert.equal(await group(ownerClient, roomId, "before-1"), "sent");
    assert.equal(await group(memberClient, roomId, "before-2"), "sent");
    assert.equal(await group(joinerClient, roomId, "not yet"), "NOT_ROOM_MEMBER");

    expectStatus(await r.join(joiner, roomId), 200);
    assert.equal(await group(ownerClient, roomId, "welcome"), "sent");
    assert.equal(await group(joinerClient, roomId, "hello"), "sent");
    await eventually("the joiner gets the first message after joining", () => texts(joinerInbox).includes("welcome"));
    assert.deepEqual(texts(joinerInbox), ["welcome"]);
  });

  it("a member mute and a room-wide mute refuse the next send with ROOM_MUTED; the owner and admins are spared", async () => {
    const [owner, admin, member] = await r.users(3);
    const roomId = await r.room(owner, [admin, member]);
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 2 }), 200);
    const ownerClient = await connectClient(world, owner, gw(0));
    const adminClient = await connectClient(world, admin, gw(1));
    const memberOn1 = await connectClient(world, member, gw(0));
    const memberOn2 = await connectClient(world, member, gw(1), { resource: "pc" });
    for (const client of [ownerClient, adminClient, memberOn1, memberOn2]) assert.equal(await group(client, roomId, "warm"), "sent");

    expectStatus(await r.putMember(owner, roomId, member.userId, { talkTime: Date.now() + 60_000 }), 200);
    assert.equal(await group(memberOn1, roomId, "muted"), "ROOM_MUTED");
    assert.equal(await group(memberOn2, roomId, "muted"), "ROOM_MUTED");
    assert.equal(await group(adminClient, roomId, "admin still speaks"), "sent");
    expectStatus(await r.putMember(owner, roomId, member.userId, { talkTime: 0 }), 200);
    assert.equal(await group(memberOn1, roomId, "unmuted"), "sent");
    assert.equal(await group(memberOn2, roomId, "unmuted"), "sent");

    expectStatus(await r.patch(owner, roomId, { talkTime: Date.now() + 60_000 }), 200);
    assert.equal(await group(memberOn1, roomId, "room muted"), "ROOM_MUTED");
    assert.equal(await group(memberOn2, roomId, "room muted"), "ROOM_MUTED");
    assert.equal(await group(ownerClient, roomId, "owner spared"), "sent");
    assert.equal(await group(adminClient, roomId, "admin spared"), "sent");
    expectStatus(await r.patch(owner, roomId, { talkTime: 0 }), 200);
    assert.equal(await group(memberOn1, roomId, "room unmuted"), "sent");
    assert.equal(await group(memberOn2, roomId, "room unmuted"), "sent");

    // A new admin is spared the room-wide mute from the next send; a demoted one is not.
    expectStatus(await r.patch(owner, roomId, { talkTime: Date.now() + 60_000 }), 200);
    expectStatus(await r.putMember(owner, roomId, member.userId, { role: 2 }), 200);
    assert.equal(await group(memberOn2, roomId, "promoted"), "sent");
    expectStatus(await r.putMember(owner, roomId, admin.userId, { role: 3 }), 200);
    assert.equal(await group(adminClient, roomId, "demoted"), "ROOM_MUTED");
  });

  it("deleting a room refuses the next send on every gateway with ROOM_NOT_FOUND", async () => {
    const [owner, a] = await r.users(2);
    const roomId = await r.room(owner, [a]);
    const ownerClient = await connectClient(world, owner, gw(0));
    const aClient = await connectClient(world, a, gw(1));
    assert.equal(await group(ownerClient, roomId, "warm"), "sent");
    assert.equal(await group(aClient, roomId, "warm"), "sent");
    expectStatus(await r.delete(owner, roomId), 204);
    assert.equal(await group(ownerClient, roomId, "gone?"), "ROOM_NOT_FOUND");
    assert.equal(await group(aClient, roomId, "gone?"), "ROOM_NOT_FOUND");
  });

  it("a version lost from Redis never lets an old cached entry match again", async () => {
    const [owner, member] = await r.users(2);
    const roomId = await r.room(owner, [member]);
    const memberClient = await connectClient(world, member, gw(0));
    assert.equal(await group(memberClient, roomId, "warm"), "sent");
    // A change written without the API's bump, then the version key gone (as if Redis lost its data).
    await world.stack.api.deps.models.roomMembers.updateOne({ roomId, userId: member.userId }, { $set: { talkTime: Date.now() + 60_000 } });
    await world.stack.api.deps.redis.del(roomVersionKey(roomId));
    assert.equal(await group(memberClient, roomId, "muted"), "ROOM_MUTED");
    assert.equal(await group(memberClient, roomId, "still muted"), "ROOM_MUTED");
  });

  it("versions in Redis: unknown entities get no key, a change is marked while it runs, and every change is a new token", async () => {
    const redis = world.stack.api.deps.redis;
    const key = userVersionKey(987_654_321);
    assert.equal(await readVersion(redis, key), undefined);
    assert.equal(await redis.exists(key), 0, "reading creates nothing");
    const claimed = await claimVersion(redis, key);
    assert.ok(claimed);
    assert.equal(await claimVersion(redis, key), null, "only one claim wins");
    assert.equal(await readVersion(redis, key), claimed);
    assert.ok((await redis.ttl(key)) > 6 * 24 * 3600, "tokens live a week");

    let during: string | null | undefined;
    await withVersionBump(redis, [key], async () => {
      during = await readVersion(redis, key);
    });
    assert.equal(during, null, "readers keep nothing while the write runs");
    const afterChange = await readVersion(redis, key);
    assert.ok(afterChange && afterChange !== claimed, "a new token");

    await assert.rejects(
      withVersionBump(redis, [key], async () => {
        throw new Error("write failed");
      }),
      /write failed/,
    );
    const afterFailure = await readVersion(redis, key);
    assert.ok(afterFailure && afterFailure !== afterChange, "a failed write still ends its change with a new token");
    assert.equal(await redis.exists(`${key}:pending`), 0, "and clears its mark");

    // A writer that died mid-change leaves its mark: the entity is read uncached until the mark expires.
    await redis.zadd(`${key}:pending`, Date.now() + 60_000, "live-writer", Date.now() - 1_000, "dead-writer");
    assert.equal(await readVersion(redis, key), null, "a live mark");
    await redis.zrem(`${key}:pending`, "live-writer");
    assert.equal(await readVersion(redis, key), afterFailure, "an expired mark counts for nothing");
    assert.equal(await redis.zcard(`${key}:pending`), 0, "and is dropped");
  });
});
