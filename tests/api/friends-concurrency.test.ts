import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { recountUser } from "@im/api";
import { expectOk, FriendsWorld } from "../support/friends.js";
import type { TestUser } from "../support/users.js";

describe("friends: concurrency and counts", () => {
  let w: FriendsWorld;
  before(async () => {
    w = await FriendsWorld.start();
  });
  after(() => w.stop());

  const users = (n: number, settings: Record<string, number> = {}) => Promise.all(Array.from({ length: n }, () => w.user(settings)));

  /** Checks every invariant of the relationship data between a and b. */
  async function assertConsistent(a: TestUser, b: TestUser): Promise<void> {
    const [ab, ba, fanOfB, fanOfA] = await Promise.all([w.record(a, b), w.record(b, a), w.fan(b, a), w.fan(a, b)]);
    assert.equal(ab?.status === 2, ba?.status === 2, "friendship is symmetric");
    assert.equal(fanOfB !== null, (ab?.status ?? 0) >= 1, "u_fans of b mirrors a→b");
    assert.equal(fanOfA !== null, (ba?.status ?? 0) >= 1, "u_fans of a mirrors b→a");
    assert.equal(ab?.isBeenBlack ?? 0, ba?.blacklist ?? 0, "a.isBeenBlack mirrors b.blacklist");
    assert.equal(ba?.isBeenBlack ?? 0, ab?.blacklist ?? 0, "b.isBeenBlack mirrors a.blacklist");
    for (const record of [ab, ba]) {
      if (record) assert.ok(record.status !== 0 || record.blacklist === 1 || record.isBeenBlack === 1, "no empty records are kept");
    }
    for (const user of [a, b]) {
      const stored = await w.counts(user);
      const recounted = await recountUser(w.models, user.userId);
      assert.deepEqual(stored, recounted, `counts of ${user.userId} equal a recount`);
    }
  }

  it("20 users adding the same open target at once: every count is exact", async () => {
    const target = await w.user({ friendsVerify: 0 });
    const adders = await users(20);
    const replies = await Promise.all(adders.map((adder) => w.add(adder, target, { greeting: "hi" })));
    for (const reply of replies) {
      expectOk(reply, 200);
      assert.deepEqual(reply.body, { result: "friends" });
    }
    await w.expectCounts(target, { friendsCount: 20, fansCount: 20, attCount: 20 });
    for (const adder of adders) await w.expectCounts(adder, { friendsCount: 1, fansCount: 1, attCount: 1 });
    assert.equal(await w.models.newFriends.countDocuments({ userId: target.userId, type: 508, direction: 1 }), 20);
    assert.equal((await w.listIds(target, "/v1/friends")).length, 20);
  });

  it("20 followers and 20 requesters at once, then 20 parallel accepts", async () => {
    const target = await w.user({ friendsVerify: 1 });
    const followers = await users(20);
    const requesters = await users(20);
    const replies = await Promise.all([
      ...followers.map((f) => w.client.post(`/v1/follows/${target.userId}`, undefined, f.token)),
      ...requesters.map((r) => w.add(r, target)),
    ]);
    for (const reply of replies) assert.ok(reply.status === 204 || reply.status === 200, JSON.stringify(reply.body));
    await w.expectCounts(target, { friendsCount: 0, fansCount: 40, attCount: 0 });
    const accepts = await Promise.all(requesters.map((r) => w.accept(target, r)));
    for (const reply of accepts) expectOk(reply, 200);
    await w.expectCounts(target, { friendsCount: 20, fansCount: 40, attCount: 20 });
  });

  it("add / delete / block / follow storms between a pair end consistent", async () => {
    for (const verify of [0, 1]) {
      const a = await w.user({ friendsVerify: verify });
      const b = await w.user({ friendsVerify: verify });
      const ops = [
        () => w.add(a, b, { greeting: "hi" }),
        () => w.add(b, a),
        () => w.accept(a, b),
        () => w.accept(b, a),
        () => w.client.delete(`/v1/friends/${b.userId}`, a.token),
        () => w.client.delete(`/v1/friends/${a.userId}`, b.token),
        () => w.client.post(`/v1/blacklist/${b.userId}`, undefined, a.token),
        () => w.client.delete(`/v1/blacklist/${b.userId}`, a.token),
        () => w.client.post(`/v1/blacklist/${a.userId}`, undefined, b.token),
        () => w.client.delete(`/v1/blacklist/${a.userId}`, b.token),
        () => w.client.post(`/v1/follows/${b.userId}`, undefined, a.token),
        () => w.client.delete(`/v1/follows/${a.userId}`, b.token),
        () => w.client.patch(`/v1/friends/${b.userId}`, { remarkName: "b" }, a.token),
      ];
      for (let round = 0; round < 3; round += 1) {
        const replies = await Promise.all(
          Array.from({ length: 30 }, (_, i) => (ops[(i * 7 + round) % ops.length] as () => Promise<{ status: number }>)()),
        );
        for (const reply of replies) assert.ok(reply.status < 500, `no server errors: ${JSON.stringify(reply)}`);
        await assertConsistent(a, b);
      }
    }
  });

  it("a hub adding, deleting and blocking many users at once stays exact", async () => {
    const hub = await w.user({ friendsVerify: 0 });
    const others = await users(12, { friendsVerify: 0 });
    const replies = await Promise.all(
      others.flatMap((other, i) => [
        w.add(other, hub),
        i % 3 === 0
          ? w.client.delete(`/v1/friends/${other.userId}`, hub.token)
          : w.client.post(`/v1/follows/${other.userId}`, undefined, hub.token),
        i % 4 === 0 ? w.client.post(`/v1/blacklist/${other.userId}`, undefined, hub.token) : w.add(hub, other),
      ]),
    );
    for (const reply of replies) assert.ok(reply.status < 500, JSON.stringify(reply.body));
    for (const other of others) await assertConsistent(hub, other);
  });

  it("recountUser repairs corrupted counts, and so does the next change", async () => {
    const a = await w.user();
    const b = await w.user({ friendsVerify: 0 });
    const c = await w.user();
    await w.befriend(a, b);
    expectOk(await w.client.post(`/v1/follows/${a.userId}`, undefined, c.token), 204);
    const exact = { friendsCount: 1, fansCount: 2, attCount: 1 };
    await w.expectCounts(a, exact);
    await w.models.users.updateOne({ userId: a.userId }, { $set: { friendsCount: 99, fansCount: -3, attCount: 7 } });
    assert.deepEqual(await w.counts(a), { friendsCount: 99, fansCount: -3, attCount: 7 });
    assert.deepEqual(await recountUser(w.models, a.userId), exact);
    assert.deepEqual(await w.counts(a), exact);

    await w.models.users.updateOne({ userId: a.userId }, { $set: { friendsCount: 50 } });
    expectOk(await w.client.delete(`/v1/follows/${a.userId}`, c.token), 204);
    assert.deepEqual(await w.counts(a), { friendsCount: 1, fansCount: 1, attCount: 1 });
  });
});
